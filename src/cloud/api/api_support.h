// What every JSON API route file shares: who may call, and the shape of answers
// and failures (documented in src/cloud/README.md).
#pragma once

#include <boost/json/value.hpp>

#include <optional>
#include <string>
#include <string_view>

#include "api/app.h"
#include "api/caller.h"
#include "http/message.h"
#include "lampi/status.h"

namespace lampi::cloud::api {

http::Response json_ok(int status, const boost::json::value& value);
// 204: done, nothing to say (a deletion).
http::Response no_content();

// The one way a route answers a failed Status; a caller who is not logged in is
// told how to authenticate.
http::Response failed(const Status& s);

// Authenticates (token or session) and, for state changes by session, checks
// CSRF; a read-only token may not change state.
Result<Caller> authorize(const http::Request& request, Deps& deps, bool changes_state);

// 415 unless the body is (or may be) JSON.
std::optional<http::Response> not_json(const http::Request& request);

// The body as a JSON object holding the string `key`; `hint` says what to send.
Result<std::string> required_string(const http::Request& request, const char* key, std::string_view hint);

}  // namespace lampi::cloud::api
