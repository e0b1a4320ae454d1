// The one mapping from a Status code (include/lampi/status.h) to an HTTP status.
//
// Every answer made from a failed Status takes its HTTP status from here, so a
// kind of failure reads the same on every route (api/error_response.h turns the
// Status into the answer itself).
#pragma once

#include "lampi/status.h"

namespace lampi::cloud::http {

// ok 200; invalid_argument 400; unauthenticated 401; permission_denied 403;
// not_found 404; already_exists and failed_precondition 409 (the request
// conflicts with what is stored); expired 410; resource_exhausted 429;
// unavailable 503; internal and unknown 500.
int http_status_of(StatusCode code);

// True for the codes whose message may hold details only the operator may see
// (internal, unknown): users get a generic answer instead.
bool is_server_fault(StatusCode code);

}  // namespace lampi::cloud::http
