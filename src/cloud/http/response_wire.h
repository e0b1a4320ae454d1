// A Response as the bytes that go on the wire: status line, the handler's header
// fields in their order, Connection and Content-Length as Beast would add them,
// then the body, in one contiguous buffer so that an answer leaves in one write
// (one TLS record up to 16 KiB) instead of one per piece.
#pragma once

#include <string>

#include "http/message.h"

namespace lampi::cloud::http {

// `version` is 10 or 11 (HTTP/1.0, HTTP/1.1). keep_alive false asks the peer to
// close (HTTP/1.1 "Connection: close"); true on HTTP/1.0 says "keep-alive".
// 1xx, 204 and 304 answers carry neither body nor Content-Length.
std::string to_wire(Response&& response, unsigned version, bool keep_alive);

}  // namespace lampi::cloud::http
