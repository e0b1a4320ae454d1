// Parsing a JSON text that must be an object: API request bodies, the broker
// credential's claims and the auth API's answers, read by the cloud and by the
// broker plugin. Lamp payloads have their own bounded parser in lamp_codec.
#pragma once

#include <boost/json/object.hpp>
#include <string_view>

#include "lampi/status.h"

namespace lampi {

// The object in `text`, nested at most 16 deep; otherwise invalid_argument
// "<what>: malformed JSON (<why>)" or "<what> must be a JSON object".
Result<boost::json::object> parse_json_object(std::string_view text, std::string_view what);

}  // namespace lampi
