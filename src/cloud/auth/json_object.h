// Parsing a JSON body that must be an object: the broker credential's claims
// and the auth API's answers, read by the cloud and by the broker plugin.
#pragma once

#include <boost/json/object.hpp>
#include <string_view>

#include "lampi/status.h"

namespace lampi::cloud::auth {

// The object in `text`, or the error "<what>: not a JSON object".
Result<boost::json::object> parse_json_object(std::string_view text, std::string_view what);

}  // namespace lampi::cloud::auth
