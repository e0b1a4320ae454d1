// POST /api/v1/enroll: a lamp trades a one-time enrollment token and its
// certificate request for its device certificate (enroll/device_enrollment.h).
//
// No session and no CSRF check: the caller is a lamp, not a browser, and the
// token in the body is the credential (a cross-site form cannot send JSON, and
// would need the token anyway). HTTPS only, since the token travels in the
// body. Each attempt counts against the caller's address, like sign-ups, so
// tokens cannot be guessed at speed.
#include <boost/json/object.hpp>

#include "accounts/login_throttle.h"
#include "api/api_support.h"
#include "api/app.h"
#include "lampi/json_object.h"

namespace lampi::cloud::api {
namespace json = boost::json;
namespace {

Result<std::string> string_field(const json::object& body, const char* key, std::string_view hint) {
    const json::value* value = body.if_contains(key);
    if (!value || !value->is_string()) return Status::invalid_argument(std::string(hint));
    return std::string(value->as_string());
}

http::Response enroll(const http::Request& request, Deps& deps) {
    if (!request.secure) return failed(Status::permission_denied("enrollment is only answered over HTTPS"));
    if (auto refused = not_json(request)) return *refused;
    auto wait = deps.rates.take(deps.options.enroll_rate, accounts::throttle_address_key(request.client_address));
    if (!wait) return failed(wait.status());
    if (*wait > 0) {
        http::Response r = failed(Status::resource_exhausted(accounts::throttle_message(*wait)));
        r.set("Retry-After", std::to_string(*wait));
        return r;
    }
    auto body = parse_json_object(request.body, "the JSON body");
    if (!body) return failed(body.status());
    auto token = string_field(*body, "token", R"(send {"token": "<enrollment token>", "csr": "<PEM request>"})");
    if (!token) return failed(token.status());
    auto csr = string_field(*body, "csr", R"(send {"token": "<enrollment token>", "csr": "<PEM request>"})");
    if (!csr) return failed(csr.status());
    return on_pool(deps.hash_pool, "enrollment", [&deps, token = *token, csr = *csr] {
        auto enrolled = deps.enrollment.enroll(token, csr, deps.accounts.now());
        if (!enrolled) return failed(enrolled.status());
        json::object o;
        o["device_id"] = enrolled->device_id;
        o["serial"] = enrolled->serial;
        o["certificate"] = enrolled->certificate_pem;
        o["chain"] = enrolled->chain_pem;
        o["expires_at"] = enrolled->expires_at;
        return json_ok(200, o);
    });
}

}  // namespace

void add_enroll_routes(http::Router& router, Deps& deps) {
    router.add("POST", "/api/v1/enroll",
               [&deps](const http::Request& request, const http::Params&) { return enroll(request, deps); });
}

}  // namespace lampi::cloud::api
