// The operators' admin area (/operator/admin/): users (find, disable, enable, a
// password reset link), lamps (find, assign, release) and the audit log.
//
// Server-rendered pages with plain forms: every change is a POST with the CSRF
// token, answered with 303 back to the list (or, for a reset link, the page that
// shows it once). Like the analytics dashboard, only operators get in: without a
// session 302 to the login page, anyone else 403 in words. The operations and
// their audit entries are admin/'s; this file only maps requests onto them.
#include <fmt/core.h>

#include <variant>

#include "api/app.h"
#include "api/caller.h"
#include "api/error_response.h"
#include "api/page_context.h"
#include "pages/admin_page.h"
#include "pages/pages.h"

namespace lampi::cloud::api {
namespace {

using http::Request;
using http::Response;

// The analytics dashboard (dashboard_routes.cpp) opens with a gate of this
// shape; its refusals differ (Keen's JSON for its queries, never stored).
constexpr std::string_view kAdminIsForOperators =
    "The admin area is for operators. Ask an operator of this LAMPi to make your account one "
    "(lampi-cloud user add --operator) if you need it.";

Response operators_only() {
    return http::html(403, pages::error_page(403, "For operators only", kAdminIsForOperators));
}

// The operator behind a page request, or the answer for anyone else.
std::variant<Caller, Response> operator_of(const Request& request, const PageContext& page, Deps& deps) {
    auto caller = identify(request, page.cookies, deps, false);
    if (!caller) return html_error(caller.status());
    if (!*caller) return login_redirect(request);
    if (!(*caller)->user.is_operator) return page.finish(operators_only(), deps);
    return **caller;
}

// The confirmation for ?done=, after the redirect that follows a change.
std::string_view admin_done_message(std::string_view done) {
    if (done == "disabled") return "The user is disabled: their sessions, API tokens and broker connections ended.";
    if (done == "enabled") return "The user is enabled again and can log in.";
    if (done == "assigned") return "The lamp now belongs to that user.";
    if (done == "released") return "The lamp has no owner now; it shows a new code to be claimed with.";
    return {};
}

struct ListView {
    std::string query;
    std::string message;
    std::string error;
    int status = 200;
};

ListView view_of(const Request& request) {
    ListView view;
    if (auto params = http::parse_form(request.query)) {
        view.query = std::string(params->get_or("q"));
        view.message = std::string(admin_done_message(params->get_or("done")));
    }
    return view;
}

// A failed action: its list again, saying why, with the status of the failure.
ListView failure(const Status& s, std::string query) {
    PublicError e = public_error(s);
    return ListView{std::move(query), "", e.message, e.http_status};
}

Response users_page(Deps& deps, const PageContext& page, const Caller& caller, const ListView& view) {
    auto users = deps.user_admin.find(view.query);
    if (!users) return html_error(users.status());
    pages::AdminFrame frame{caller.user.username, page.csrf, view.message, view.error};
    return page.finish(http::html(view.status, pages::admin_users_page(frame, view.query, *users)), deps);
}

Response lamps_page(Deps& deps, const PageContext& page, const Caller& caller, const ListView& view) {
    auto lamps = deps.lamp_admin.find(view.query);
    if (!lamps) return html_error(lamps.status());
    pages::AdminFrame frame{caller.user.username, page.csrf, view.message, view.error};
    return page.finish(http::html(view.status, pages::admin_lamps_page(frame, view.query, *lamps)), deps);
}

Response audit_page(Deps& deps, const PageContext& page, const Caller& caller) {
    auto entries = deps.audit.recent(200);
    if (!entries) return html_error(entries.status());
    pages::AdminFrame frame{caller.user.username, page.csrf, {}, {}};
    return page.finish(http::html(200, pages::admin_audit_page(frame, *entries)), deps);
}

Response back_to(const char* list, std::string_view query, const char* done) {
    return http::redirect(fmt::format("{}?q={}&done={}", list, http::percent_encode(query), done), 303);
}

// The link as the operator will hand it over: this site's own address, as the
// operator's browser reached it.
std::string reset_link(const Request& request, std::string_view token) {
    std::string path = "/accounts/reset/?token=" + std::string(token);
    std::string_view host = request.header("Host");
    if (host.empty()) return path;
    return fmt::format("{}://{}{}", request.secure ? "https" : "http", host, path);
}

// A GET page of the admin area, for operators only.
template <typename Render>
void add_page(http::Router& router, Deps& deps, const char* path, Render render) {
    router.add("GET", path, [&deps, render](const Request& request, const http::Params&) {
        PageContext page(request);
        auto who = operator_of(request, page, deps);
        if (auto* refused = std::get_if<Response>(&who)) return std::move(*refused);
        return render(request, page, std::get<Caller>(who));
    });
}

// A form post of the admin area: signed in, CSRF checked, an operator; then `act`.
template <typename Act>
void add_action(http::Router& router, Deps& deps, const char* path, Act act) {
    router.add("POST", path, [&deps, act](const Request& request, const http::Params&) {
        PageContext page(request);
        auto form = form_of(request);
        std::optional<Caller> caller;
        if (auto early = require_form_post(request, deps, page, form, caller)) return *early;
        if (!caller->user.is_operator) return page.finish(operators_only(), deps);
        return act(request, page, *caller, *form);
    });
}

enum class List { users, lamps };

// A change to the user (form field username) or lamp (device_id) that `change`
// makes: 303 back to its list with ?done=, or the list again saying why not.
template <typename Change>
void add_change(http::Router& router, Deps& deps, const char* path, List list, const char* done, Change change) {
    add_action(router, deps, path,
               [&deps, list, done, change](const Request&, const PageContext& page, const Caller& caller,
                                           const http::Fields& form) {
                   bool users = list == List::users;
                   std::string target(form.get_or(users ? "username" : "device_id"));
                   if (Status s = change(caller.user, target, form); !s)
                       return users ? users_page(deps, page, caller, failure(s, target))
                                    : lamps_page(deps, page, caller, failure(s, target));
                   return back_to(users ? "/operator/admin/users/" : "/operator/admin/lamps/", target, done);
               });
}

}  // namespace

void add_admin_routes(http::Router& router, Deps& deps) {
    for (const char* path : {"/operator/admin", "/operator/admin/"})
        router.add("GET", path,
                   [](const Request&, const http::Params&) { return http::redirect("/operator/admin/users/"); });

    add_page(router, deps, "/operator/admin/users/",
             [&deps](const Request& request, const PageContext& page, const Caller& caller) {
                 return users_page(deps, page, caller, view_of(request));
             });
    add_page(router, deps, "/operator/admin/lamps/",
             [&deps](const Request& request, const PageContext& page, const Caller& caller) {
                 return lamps_page(deps, page, caller, view_of(request));
             });
    add_page(router, deps, "/operator/admin/audit/",
             [&deps](const Request&, const PageContext& page, const Caller& caller) {
                 return audit_page(deps, page, caller);
             });

    using Fields = http::Fields;
    add_change(router, deps, "/operator/admin/users/disable/", List::users, "disabled",
               [&deps](const storage::User& op, const std::string& name, const Fields&) {
                   return deps.user_admin.disable(op, name);
               });
    add_change(router, deps, "/operator/admin/users/enable/", List::users, "enabled",
               [&deps](const storage::User& op, const std::string& name, const Fields&) {
                   return deps.user_admin.enable(op, name);
               });
    add_action(router, deps, "/operator/admin/users/reset/",
               [&deps](const Request& request, const PageContext& page, const Caller& caller,
                       const http::Fields& form) {
                   std::string name(form.get_or("username"));
                   auto link = deps.user_admin.force_password_reset(caller.user, name);
                   if (!link) return users_page(deps, page, caller, failure(link.status(), name));
                   pages::AdminFrame frame{caller.user.username, page.csrf, "The reset link is made.", {}};
                   return page.finish(http::html(200, pages::admin_reset_link_page(frame, name,
                                                                                   reset_link(request, link->token),
                                                                                   link->expires_at)),
                                      deps);
               });
    add_change(router, deps, "/operator/admin/lamps/assign/", List::lamps, "assigned",
               [&deps](const storage::User& op, const std::string& device, const Fields& form) {
                   return deps.lamp_admin.assign(op, device, form.get_or("username"));
               });
    add_change(router, deps, "/operator/admin/lamps/release/", List::lamps, "released",
               [&deps](const storage::User& op, const std::string& device, const Fields&) {
                   return deps.lamp_admin.release(op, device);
               });
}

}  // namespace lampi::cloud::api
