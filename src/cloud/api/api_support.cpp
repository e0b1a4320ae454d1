#include "api/api_support.h"

#include <boost/json/serialize.hpp>

#include "accounts/csrf.h"
#include "api/error_response.h"
#include "api/json_body.h"
#include "lampi/json_object.h"

namespace lampi::cloud::api {
namespace json = boost::json;

http::Response json_ok(int status, const json::value& value) { return http::json(status, json::serialize(value)); }

http::Response no_content() {
    http::Response r;
    r.status = 204;
    return r;
}

http::Response failed(const Status& s) {
    http::Response r = json_error(s);
    if (s.code() == StatusCode::unauthenticated) r.set("WWW-Authenticate", "Bearer");
    return r;
}

Result<Caller> authorize(const http::Request& request, Deps& deps, bool changes_state) {
    http::Fields cookies = http::parse_cookies(request.header("Cookie"));
    auto caller = identify(request, cookies, deps, true);
    if (!caller) return caller.status();
    if (!*caller)
        return Status::unauthenticated("not logged in: log in first or send Authorization: Bearer <api token>");
    if (changes_state && !(*caller)->via_token) {
        if (Status s = accounts::check_csrf(request, cookies, request.header(accounts::kCsrfHeader)); !s) return s;
    }
    if (changes_state && (*caller)->via_token && (*caller)->token_scope != "control")
        return Status::permission_denied(R"(this token may only read; make a token with "scope": "control")");
    return **caller;
}

std::optional<http::Response> not_json(const http::Request& request) {
    std::string_view type = request.header("Content-Type");
    if (!type.empty() && type.find("json") == std::string_view::npos)
        return http::json_error(415, "send the body as JSON (Content-Type: application/json)");
    return std::nullopt;
}

Result<std::string> required_string(const http::Request& request, const char* key, std::string_view hint) {
    auto body = parse_json_object(request.body, "the JSON body");
    if (!body) return body.status();
    const json::value* value = body->if_contains(key);
    if (!value || !value->is_string()) return Status::invalid_argument(std::string(hint));
    return std::string(value->as_string());
}

}  // namespace lampi::cloud::api
