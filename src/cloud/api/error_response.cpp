#include "api/error_response.h"

#include <fmt/core.h>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "accounts/crypto.h"
#include "http/status_http.h"
#include "lampi/log.h"
#include "pages/pages.h"

namespace lampi::cloud::api {
namespace {

// 8 hex digits: short enough to read out over the phone, and with about 4e9
// values no two faults an operator looks at share one.
std::string new_error_id() { return accounts::random_token().substr(0, 8); }

std::string_view page_title(int http_status) {
    switch (http_status) {
        case 400: return "Bad request";
        case 401: return "Not logged in";
        case 403: return "Forbidden";
        case 404: return "Not found";
        case 409: return "Conflict";
        case 410: return "Gone";
        case 429: return "Too many requests";
        case 503: return "Unavailable";
        default: return "Server error";
    }
}

}  // namespace

PublicError public_error(const Status& status) {
    PublicError e;
    e.http_status = http::http_status_of(status.code());
    if (!http::is_server_fault(status.code())) {
        e.message = status.message();
        return e;
    }
    e.error_id = new_error_id();
    log::error("error id {} ({}): {}", e.error_id, status.code_name(), status.message());
    e.message = fmt::format(
        "Something went wrong on our side (error id {}); please try again, and quote this id if it keeps happening",
        e.error_id);
    return e;
}

http::Response json_error(const Status& status) {
    PublicError e = public_error(status);
    boost::json::object o;
    o["error"] = e.message;
    if (!e.error_id.empty()) o["error_id"] = e.error_id;
    return http::json(e.http_status, boost::json::serialize(o));
}

http::Response html_error(const Status& status) {
    PublicError e = public_error(status);
    return http::html(e.http_status, pages::error_page(e.http_status, page_title(e.http_status), e.message));
}

}  // namespace lampi::cloud::api
