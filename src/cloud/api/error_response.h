// Turning a failed Status into what the user sees.
//
// The HTTP status comes from the code (http/status_http.h). A client's mistake
// (invalid_argument, not_found, ...) shows the Status's own message, which says
// what to do. A fault on our side (internal, unknown) may carry SQL text or paths,
// so the user sees only a generic message with a short error id, and the full
// message goes to the log with the same id: an operator finds the line from the
// id the user quotes.
#pragma once

#include <string>
#include <string_view>

#include "http/message.h"
#include "lampi/status.h"

namespace lampi::cloud::api {

struct PublicError {
    int http_status = 500;
    std::string message;   // safe to show to the caller
    std::string error_id;  // set for server faults; the log line carries it too
};

// For a failed `status`; logs server faults (once per call, with a new id).
PublicError public_error(const Status& status);

// {"error": "<message>"}, plus "error_id" for a server fault.
http::Response json_error(const Status& status);
// The site's error page for `status`.
http::Response html_error(const Status& status);

}  // namespace lampi::cloud::api
