// The server-rendered pages: the Django-compatible login flow, sign-up,
// password change, logout, the lamps page and its forms, static files.
#include <fmt/core.h>

#include "accounts/crypto.h"
#include "accounts/login_throttle.h"
#include "analytics/event.h"
#include "api/app.h"
#include "api/caller.h"
#include "api/error_response.h"
#include "api/page_context.h"
#include "lampi/log.h"
#include "pages/pages.h"

namespace lampi::cloud::api {
namespace {

using http::Request;
using http::Response;

// 429 with Retry-After when the client's address used up `rule`, counting this attempt.
std::optional<Response> over_address_rate(Deps& deps, const accounts::RateRule& rule, const Request& request,
                                          std::string_view page_title) {
    auto wait = deps.rates.take(rule, accounts::throttle_address_key(request.client_address));
    if (!wait) return html_error(wait.status());
    if (*wait == 0) return std::nullopt;
    Response r = http::html(429, pages::error_page(429, std::string(page_title), accounts::throttle_message(*wait)));
    r.set("Retry-After", std::to_string(*wait));
    return r;
}

// The ?ref= of a sign-up link: who referred the new user, for analytics. Only
// short printable text is kept; anything else counts as no referrer.
std::string referrer(std::string_view ref) {
    if (ref.size() > 100) return "";
    for (char c : ref)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return "";
    return std::string(ref);
}

// A password login, successful or not, for analytics; never the password.
void record_login(Deps& deps, const std::string& username, const accounts::LoginResult& login) {
    if (deps.metrics) {
        deps.metrics->count_login(login.user              ? metrics::LoginOutcome::success
                                  : login.retry_after > 0 ? metrics::LoginOutcome::throttled
                                                          : metrics::LoginOutcome::failure);
    }
    if (!deps.options.events) return;
    analytics::Properties p;
    p.add("username", username.substr(0, 150)).add("success", login.user.has_value());
    if (login.user) p.add("user_id", login.user->id);
    if (!login.user)
        p.add("failure", login.retry_after > 0 ? "throttled"
                         : login.disabled      ? "disabled"
                                               : "wrong username or password");
    deps.options.events->record("logins", p.json());
}

// A new account, with who referred it (null when nobody did).
void record_sign_up(Deps& deps, const storage::User& user, const std::string& referred_by) {
    if (!deps.options.events) return;
    analytics::Properties p;
    p.add("user_id", user.id).add("username", user.username);
    if (referred_by.empty()) p.add_null("referred_by");
    if (!referred_by.empty()) p.add("referred_by", referred_by);
    deps.options.events->record("sign_ups", p.json());
}

std::string next_from(const Request& request, const http::Fields* form) {
    auto query = http::parse_form(request.query);
    if (query) {
        if (auto n = query->get("next")) return safe_next(*n);
    }
    if (form) {
        if (auto n = form->get("next")) return safe_next(*n);
    }
    return "/";
}

Response render_index(Deps& deps, const PageContext& page, const Caller& caller, pages::IndexView view, int status) {
    auto lamps = deps.store.lamps_of(caller.user.id);
    if (!lamps) return html_error(lamps.status());
    view.code_seconds = deps.lamps.code_seconds();
    view.is_operator = caller.user.is_operator;
    return page.finish(http::html(status, pages::index_page(caller.user.username, page.csrf, *lamps, view)), deps);
}

// Why an account form (sign-up, password change) is shown again: 400 with the
// reason for anything the user can fix (a taken name as much as a short
// password), as for any rejected form; a fault on our side keeps its 500 and
// error id.
PublicError form_error(const Status& failure) {
    PublicError e = public_error(failure);
    if (e.error_id.empty()) e.http_status = 400;
    return e;
}

// The lamps page again, saying why a lamp form failed.
// `typed_code`: what the person typed in the add form, given back to correct.
Response render_failure(Deps& deps, const PageContext& page, const Caller& caller, const Status& failure,
                        std::string_view typed_code = {}) {
    PublicError e = public_error(failure);
    pages::IndexView view;
    view.error = e.message;
    view.typed_code = typed_code;
    return render_index(deps, page, caller, view, e.http_status);
}

std::string_view lamp_done_message(std::string_view done) {
    if (done == "claimed") return "The lamp was added to your lamps.";
    if (done == "renamed") return "The lamp was saved.";
    if (done == "removed") return "The lamp was removed.";
    return {};
}

}  // namespace

void add_page_routes(http::Router& router, Deps& deps) {
    router.add("GET", "/accounts/login/", [&deps](const Request& request, const http::Params&) {
        PageContext page(request);
        return page.finish(http::html(200, pages::login_page(page.csrf, next_from(request, nullptr), "",
                                                             deps.options.signup_enabled)),
                           deps);
    });

    router.add("POST", "/accounts/login/", [&deps](const Request& request, const http::Params&) {
        PageContext page(request);
        auto form = form_of(request);
        if (auto refused = refuse_form_post(request, page, form)) return *refused;
        if (auto limited = over_address_rate(deps, deps.options.login_rate, request, "Too many logins"))
            return *limited;
        return on_hash_pool(deps, [&deps, request, page, form = *form]() -> Response {
            std::string next = next_from(request, &form);
            std::string username(form.get_or("username"));
            auto login = deps.accounts.login(username, std::string(form.get_or("password")), request.client_address);
            if (!login) return html_error(login.status());
            record_login(deps, username, *login);
            if (!login->user) {
                // Throttled: 429 with Retry-After, so scripts back off; the page says when.
                int status = login->retry_after > 0 ? 429 : 200;
                Response r = page.finish(http::html(status, pages::login_page(page.csrf, next, login->error,
                                                                              deps.options.signup_enabled, username)),
                                         deps);
                if (login->retry_after > 0) r.set("Retry-After", std::to_string(login->retry_after));
                return r;
            }
            auto r = page.logged_in(login->user->id, next, deps);
            return r ? *r : html_error(r.status());
        });
    });

    router.add("GET", "/accounts/signup/", [&deps](const Request& request, const http::Params&) {
        if (!deps.options.signup_enabled)
            return http::html(404, pages::error_page(404, "Not found", "Sign-up is off."));
        PageContext page(request);
        auto query = http::parse_form(request.query);
        std::string ref = query ? referrer(query->get_or("ref")) : std::string();
        return page.finish(http::html(200, pages::signup_page(page.csrf, "", "", ref)), deps);
    });

    router.add("POST", "/accounts/signup/", [&deps](const Request& request, const http::Params&) {
        if (!deps.options.signup_enabled)
            return http::html(404, pages::error_page(404, "Not found", "Sign-up is off."));
        PageContext page(request);
        auto form = form_of(request);
        if (auto refused = refuse_form_post(request, page, form)) return *refused;
        std::string username(form->get_or("username"));
        std::string password(form->get_or("password1"));
        std::string ref = referrer(form->get_or("ref"));
        if (password != form->get_or("password2"))
            return page.finish(http::html(400,
                                          pages::signup_page(page.csrf, "the two passwords differ", username, ref)),
                               deps);
        if (auto limited = over_address_rate(deps, deps.options.signup_rate, request, "Too many sign-ups"))
            return *limited;
        std::string address = request.client_address;
        return on_hash_pool(deps, [&deps, page, username, password, ref, address]() -> Response {
            auto user = deps.accounts.create_user(username, password, false);
            if (!user) {
                PublicError e = form_error(user.status());
                return page.finish(http::html(e.http_status, pages::signup_page(page.csrf, e.message, username, ref)),
                                   deps);
            }
            log::info("user {} signed up", user->username);
            record_sign_up(deps, *user, ref);
            if (Status s = deps.accounts.remember_address(user->username, address); !s) return html_error(s);
            auto r = page.logged_in(user->id, "/", deps);
            return r ? *r : html_error(r.status());
        });
    });

    router.add("GET", "/accounts/password_change/", [&deps](const Request& request, const http::Params&) {
        PageContext page(request);
        auto caller = identify(request, page.cookies, deps, false);
        if (!caller) return html_error(caller.status());
        if (!*caller) return login_redirect(request);
        return page.finish(http::html(200, pages::password_change_page(page.csrf, (*caller)->user.username, "", false,
                                                                       (*caller)->user.is_operator)),
                           deps);
    });

    router.add("POST", "/accounts/password_change/", [&deps](const Request& request, const http::Params&) {
        PageContext page(request);
        auto form = form_of(request);
        std::optional<Caller> caller;
        if (auto early = require_form_post(request, deps, page, form, caller)) return *early;
        return on_hash_pool(deps, [&deps, page, form = *form, caller = *caller]() -> Response {
            std::string next(form.get_or("new_password1"));
            Status changed =
                next != form.get_or("new_password2")
                    ? Status::invalid_argument("the two new passwords differ")
                    : deps.accounts.change_password(caller.user, std::string(form.get_or("old_password")), next);
            if (!changed) {
                PublicError e = form_error(changed);
                return page.finish(http::html(e.http_status,
                                              pages::password_change_page(page.csrf, caller.user.username, e.message,
                                                                          false, caller.user.is_operator)),
                                   deps);
            }
            // Every session and token ended; this browser, which knew the old
            // password, continues under a new session id.
            revoke_broker_connections(deps, caller.user.username);
            auto key = deps.accounts.start_session(caller.user.id);
            if (!key) return html_error(key.status());
            Response r = page.finish(http::html(200, pages::password_change_page(page.csrf, caller.user.username, "",
                                                                                 true, caller.user.is_operator)),
                                     deps);
            r.add("Set-Cookie",
                  session_set_cookie(*key, deps.accounts.options().session_seconds, page.cookies_secure(deps)));
            return r;
        });
    });

    router.add("GET", "/logout/", [&deps](const Request& request, const http::Params&) {
        PageContext page(request);
        auto caller = identify(request, page.cookies, deps, false);
        if (!caller) return html_error(caller.status());
        if (!*caller) return page.finish(http::html(200, pages::logged_out_page()), deps);
        return page.finish(http::html(200, pages::logout_page(page.csrf, (*caller)->user.username,
                                                              (*caller)->user.is_operator)),
                           deps);
    });

    // Opens like the login POST: every form post checks its CSRF token first.
    router.add("POST", "/logout/", [&deps](const Request& request, const http::Params&) {
        PageContext page(request);
        auto form = form_of(request);
        if (auto refused = refuse_form_post(request, page, form)) return *refused;
        if (auto key = page.cookies.get(kSessionCookie)) {
            auto who = deps.accounts.session_user(*key);
            if (Status s = deps.accounts.end_session(*key); !s) return html_error(s);
            if (who && *who) revoke_broker_connections(deps, (*who)->username);
        }
        Response r = http::html(200, pages::logged_out_page());
        r.add("Set-Cookie", session_clear_cookie(page.cookies_secure(deps)));
        return r;
    });

    router.add("GET", "/", [&deps](const Request& request, const http::Params&) {
        PageContext page(request);
        auto caller = identify(request, page.cookies, deps, false);
        if (!caller) return html_error(caller.status());
        if (!*caller) return login_redirect(request);
        pages::IndexView view;
        auto query = http::parse_form(request.query);
        if (query) {
            view.message = lamp_done_message(query->get_or("done"));
            // Only a lamp of theirs: index_page asks to name it when it is in the list.
            view.new_lamp = query->get_or("lamp");
        }
        return render_index(deps, page, **caller, view, 200);
    });

    // The lamp forms: a CSRF-checked POST, one lamp operation, back to the list.
    auto lamp_form = [&deps, &router](const char* path, const char* done, auto operation) {
        router.add("POST", path, [&deps, done, operation](const Request& request, const http::Params& params) {
            PageContext page(request);
            auto form = form_of(request);
            std::optional<Caller> caller;
            if (auto early = require_form_post(request, deps, page, form, caller)) return *early;
            auto result = operation(deps.lamps, caller->user.id, params, *form);
            if (!result) return render_failure(deps, page, *caller, result);
            return http::redirect(std::string("/?done=") + done, 303);
        });
    };
    router.add("POST", "/lamps/claim/", [&deps](const Request& request, const http::Params&) {
        PageContext page(request);
        auto form = form_of(request);
        std::optional<Caller> caller;
        if (auto early = require_form_post(request, deps, page, form, caller)) return *early;
        std::string_view typed = form->get_or("code");
        auto result = deps.lamps.claim(caller->user.id, typed, request.client_address);
        if (!result) return render_failure(deps, page, *caller, result.status(), typed);
        // Next: the name and room of the new lamp.
        return http::redirect("/?done=claimed&lamp=" + http::percent_encode(*result), 303);
    });
    lamp_form("/lamps/{id}/rename/", "renamed",
              [](lamps::LampService& lamps, std::int64_t user, const http::Params& params, const http::Fields& form) {
                  // The room is optional in the form; checked first so a bad one changes nothing.
                  std::optional<std::string_view> room = form.get("room");
                  if (room) {
                      if (Status s = lamps::LampService::check_room(*room); !s) return s;
                  }
                  if (Status s = lamps.rename(user, params.get("id"), form.get_or("name")); !s) return s;
                  return room ? lamps.set_room(user, params.get("id"), *room) : Status::ok();
              });
    router.add("POST", "/lamps/{id}/remove/", [&deps](const Request& request, const http::Params& params) {
        PageContext page(request);
        auto form = form_of(request);
        std::optional<Caller> caller;
        if (auto early = require_form_post(request, deps, page, form, caller)) return *early;
        auto result = deps.lamps.remove(caller->user.id, params.get("id"));
        if (!result) return render_failure(deps, page, *caller, result);
        revoke_broker_connections(deps, caller->user.username);
        return http::redirect("/?done=removed", 303);
    });

    router.add_prefix("GET", "/static/", [&deps](const Request& request, const http::Params& params) {
        return deps.statics.serve(params.get("rest"), &request);
    });

    // The service worker from the static files, at the root so that its scope is the
    // whole site; checked with the server on every navigation (no-cache), so a new
    // shell reaches browsers at once.
    router.add("GET", "/sw.js", [&deps](const Request& request, const http::Params&) {
        Response r = deps.statics.serve("sw.js", &request);
        if (r.status == 200 || r.status == 304) r.set("Cache-Control", "no-cache");
        return r;
    });

    router.add("GET", "/offline/", [](const Request&, const http::Params&) {
        Response r = http::html(200, pages::offline_page());
        r.set("Cache-Control", "no-cache");
        return r;
    });
}

}  // namespace lampi::cloud::api
