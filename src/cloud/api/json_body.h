// JSON for the API: parsing request bodies and shaping lamps as JSON.
//
// Bodies are parsed by lampi/json_object.h (depth-limited; anything that is not a
// JSON object comes back as invalid_argument saying so).
#pragma once

#include <boost/json/object.hpp>

#include <optional>
#include <string>
#include <string_view>

#include "http/form.h"
#include "http/message.h"
#include "lampi/status.h"
#include "storage/store.h"

namespace lampi::cloud::api {

// The request's fields from a JSON object (strings, numbers and booleans as
// text) or an url-encoded form, by Content-Type (JSON when it says json, or
// when the body starts with '{').
Result<http::Fields> body_fields(const http::Request& request);

// {"device_id", "name", "online", "state": {...} | null, "updated_at"}
// `health_json`: the lamp's last lamp/health report, shown as "health" (null when none).
boost::json::object lamp_json(const storage::Lamp& lamp, const std::optional<std::string>& health_json = std::nullopt);

}  // namespace lampi::cloud::api
