// The user's side of an operator's password reset link: GET /accounts/reset/?token=
// shows the form while the link works (or says why it does not), POST sets the
// new password once (CSRF checked, no session needed: the link is the proof).
// The token travels in the query and the form body, never in the path, so the
// access log (paths only) never holds it.
#include "api/app.h"
#include "api/error_response.h"
#include "api/page_context.h"
#include "pages/pages.h"

namespace lampi::cloud::api {
namespace {

using http::Request;
using http::Response;

// A link that does not work (unknown, used, expired) leaves no form to fill.
bool about_the_link(const Status& s) {
    return s.code() == StatusCode::not_found || s.code() == StatusCode::failed_precondition ||
           s.code() == StatusCode::expired;
}

}  // namespace

void add_password_reset_routes(http::Router& router, Deps& deps) {
    router.add("GET", "/accounts/reset/", [&deps](const Request& request, const http::Params&) {
        PageContext page(request);
        auto query = http::parse_form(request.query);
        std::string token = query ? std::string(query->get_or("token")) : std::string();
        auto usable = deps.password_resets.check(token, deps.accounts.now());
        if (!usable) {
            PublicError e = public_error(usable.status());
            return page.finish(http::html(e.http_status, pages::password_reset_page(page.csrf, "", e.message, false)),
                               deps);
        }
        return page.finish(http::html(200, pages::password_reset_page(page.csrf, token, "", false)), deps);
    });

    router.add("POST", "/accounts/reset/", [&deps](const Request& request, const http::Params&) {
        PageContext page(request);
        auto form = form_of(request);
        if (auto refused = refuse_form_post(request, page, form)) return *refused;
        std::string token(form->get_or("token"));
        std::string password(form->get_or("new_password1"));
        if (password != form->get_or("new_password2"))
            return page.finish(http::html(400, pages::password_reset_page(page.csrf, token,
                                                                          "the two new passwords differ", false)),
                               deps);
        return on_hash_pool(deps, [&deps, page, token, password]() -> Response {
            auto done = deps.user_admin.use_reset_link(token, password);
            if (!done) {
                PublicError e = public_error(done.status());
                if (e.error_id.empty() && !about_the_link(done.status())) e.http_status = 400;
                std::string_view keep = about_the_link(done.status()) ? std::string_view() : std::string_view(token);
                return page.finish(http::html(e.http_status,
                                              pages::password_reset_page(page.csrf, keep, e.message, false)),
                                   deps);
            }
            return page.finish(http::html(200, pages::password_reset_page(page.csrf, "", "", true)), deps);
        });
    });
}

}  // namespace lampi::cloud::api
