// POST /api/v1/enroll: a lamp trades a one-time enrollment token and its
// certificate request for its device certificate (enroll/device_enrollment.h).
// POST /api/v1/enroll/renew: a lamp trades its current certificate, a new
// request and a signature by its current key over it for a new certificate.
//
// No session and no CSRF check: the caller is a lamp, not a browser, and the
// token in the body is the credential (a cross-site form cannot send JSON, and
// would need the token anyway). HTTPS only, since the token travels in the
// body. Each attempt counts against the caller's address, like sign-ups, so
// tokens cannot be guessed at speed.
#include <boost/json/object.hpp>

#include <variant>

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

http::Response answer(const Result<enroll::Enrolled>& enrolled) {
    if (!enrolled) return failed(enrolled.status());
    json::object o;
    o["device_id"] = enrolled->device_id;
    o["serial"] = enrolled->serial;
    o["certificate"] = enrolled->certificate_pem;
    o["chain"] = enrolled->chain_pem;
    o["expires_at"] = enrolled->expires_at;
    return json_ok(200, o);
}

// What both routes check first: HTTPS, JSON, and the caller's address under its limit.
// The body as an object, or the answer that refuses it.
std::variant<json::object, http::Response> admitted(const http::Request& request, Deps& deps) {
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
    return std::move(body).value();
}

http::Response enroll(const http::Request& request, Deps& deps) {
    auto body = admitted(request, deps);
    if (auto* refused = std::get_if<http::Response>(&body)) return std::move(*refused);
    const json::object& fields = std::get<json::object>(body);
    const char* hint = R"(send {"token": "<enrollment token>", "csr": "<PEM request>"})";
    auto token = string_field(fields, "token", hint);
    if (!token) return failed(token.status());
    auto csr = string_field(fields, "csr", hint);
    if (!csr) return failed(csr.status());
    return on_pool(deps.hash_pool, "enrollment", [&deps, token = *token, csr = *csr] {
        return answer(deps.enrollment.enroll(token, csr, deps.accounts.now()));
    });
}

http::Response renew(const http::Request& request, Deps& deps) {
    auto body = admitted(request, deps);
    if (auto* refused = std::get_if<http::Response>(&body)) return std::move(*refused);
    const json::object& fields = std::get<json::object>(body);
    const char* hint =
        R"(send {"certificate": "<current PEM>", "csr": "<PEM request>", "signature": "<base64 by the current key>"})";
    auto current = string_field(fields, "certificate", hint);
    if (!current) return failed(current.status());
    auto csr = string_field(fields, "csr", hint);
    if (!csr) return failed(csr.status());
    auto signature = string_field(fields, "signature", hint);
    if (!signature) return failed(signature.status());
    return on_pool(deps.hash_pool, "enrollment", [&deps, current = *current, csr = *csr, signature = *signature] {
        return answer(deps.enrollment.renew(current, csr, signature));
    });
}

}  // namespace

void add_enroll_routes(http::Router& router, Deps& deps) {
    router.add("POST", "/api/v1/enroll",
               [&deps](const http::Request& request, const http::Params&) { return enroll(request, deps); });
    router.add("POST", "/api/v1/enroll/renew",
               [&deps](const http::Request& request, const http::Params&) { return renew(request, deps); });
}

}  // namespace lampi::cloud::api
