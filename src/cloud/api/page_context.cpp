#include "api/page_context.h"

#include "accounts/crypto.h"
#include "accounts/csrf.h"
#include "api/error_response.h"

namespace lampi::cloud::api {

PageContext::PageContext(const http::Request& request)
    : cookies(http::parse_cookies(request.header("Cookie"))), secure(request.secure) {
    csrf = accounts::csrf_cookie(cookies);
    if (csrf.empty()) {
        csrf = accounts::random_token();
        new_csrf = true;
    }
}

http::Response PageContext::finish(http::Response r, const Deps& deps) const {
    if (new_csrf) r.add("Set-Cookie", accounts::csrf_set_cookie(csrf, cookies_secure(deps)));
    r.set("Cache-Control", "no-store");
    r.set("Vary", "Cookie");
    return r;
}

Result<http::Response> PageContext::logged_in(std::int64_t user_id, std::string location, Deps& deps) const {
    auto key = deps.accounts.start_session(user_id);
    if (!key) return key.status();
    if (auto old = cookies.get(kSessionCookie)) (void)deps.accounts.end_session(*old);
    http::Response r = http::redirect(std::move(location));
    r.add("Set-Cookie", session_set_cookie(*key, deps.accounts.options().session_seconds, cookies_secure(deps)));
    r.add("Set-Cookie", accounts::csrf_set_cookie(accounts::random_token(), cookies_secure(deps)));
    r.set("Cache-Control", "no-store");
    return r;
}

http::Response login_redirect(const http::Request& request) {
    return http::redirect("/accounts/login/?next=" + http::percent_encode(request.path));
}

Result<http::Fields> form_of(const http::Request& request) {
    auto form = http::parse_form(request.body);
    if (!form) return form.status().prefixed("malformed form: ");
    return form;
}

std::optional<http::Response> refuse_form_post(const http::Request& request, const PageContext& page,
                                               const Result<http::Fields>& form) {
    if (!form) return html_error(form.status());
    if (Status s = accounts::check_csrf(request, page.cookies, form->get_or(accounts::kCsrfField)); !s)
        return html_error(s);
    return std::nullopt;
}

std::optional<http::Response> require_form_post(const http::Request& request, Deps& deps, PageContext& page,
                                                Result<http::Fields>& form, std::optional<Caller>& caller) {
    auto who = identify(request, page.cookies, deps, false);
    if (!who) return html_error(who.status());
    if (!*who) return login_redirect(request);
    caller = *who;
    return refuse_form_post(request, page, form);
}

}  // namespace lampi::cloud::api
