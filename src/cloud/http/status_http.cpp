#include "http/status_http.h"

namespace lampi::cloud::http {

int http_status_of(StatusCode code) {
    switch (code) {
        case StatusCode::ok: return 200;
        case StatusCode::invalid_argument: return 400;
        case StatusCode::unauthenticated: return 401;
        case StatusCode::permission_denied: return 403;
        case StatusCode::not_found: return 404;
        case StatusCode::already_exists: return 409;
        case StatusCode::failed_precondition: return 409;
        case StatusCode::expired: return 410;
        case StatusCode::resource_exhausted: return 429;
        case StatusCode::unavailable: return 503;
        case StatusCode::internal: return 500;
        case StatusCode::unknown: return 500;
    }
    return 500;
}

bool is_server_fault(StatusCode code) { return code == StatusCode::internal || code == StatusCode::unknown; }

}  // namespace lampi::cloud::http
