// libFuzzer: everything lampi-cloud parses from an untrusted request - the
// target, query and form fields, the Cookie header, JSON bodies (API and auth
// API shapes), and set_config payloads - must never crash or hang.
//
// Input layout: the first byte picks how the rest is split into a target, a
// cookie header and a body (so one corpus explores all three).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "api/json_body.h"
#include "http/form.h"
#include "http/router.h"
#include "lampi/json_object.h"
#include "lampi/lamp_codec.h"

namespace {

using namespace lampi::cloud;

http::Response echo(const http::Request&, const http::Params& p) { return http::text(200, std::string(p.get("id"))); }

const http::Router& router() {
    static const http::Router r = [] {
        http::Router out;
        out.add("GET", "/api/v1/lamps/{id}", echo);
        out.add("POST", "/api/v1/lamps/{id}/state", echo);
        out.add_prefix("GET", "/static/", echo);
        return out;
    }();
    return r;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0) return 0;
    std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
    std::size_t first = input.find('\n');
    std::size_t second = first == std::string_view::npos ? std::string_view::npos : input.find('\n', first + 1);
    std::string_view target = input.substr(0, first);
    std::string_view cookie = first == std::string_view::npos ? std::string_view{} : input.substr(first + 1, second - first - 1);
    std::string_view body = second == std::string_view::npos ? input : input.substr(second + 1);

    if (auto t = http::parse_target(target)) {
        http::Request request;
        request.method = (data[0] & 1) ? "POST" : "GET";
        request.target = std::string(target);
        request.path = t->path;
        request.query = t->query;
        request.body = std::string(body);
        if (data[0] & 2) request.headers.push_back({"Content-Type", "application/json"});
        (void)router().dispatch(request);
        (void)http::parse_form(t->query);
        (void)api::body_fields(request);
    }
    http::Fields cookies = http::parse_cookies(cookie);
    (void)cookies.get("sessionid");
    (void)http::parse_form(body);
    (void)http::percent_decode(body, (data[0] & 4) != 0);
    (void)http::percent_encode(body);
    (void)lampi::parse_json_object(body, "the JSON body");
    (void)lampi::decode_set_config(body);
    return 0;
}
