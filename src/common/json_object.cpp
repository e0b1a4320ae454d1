#include "lampi/json_object.h"

#include <fmt/core.h>

#include <boost/json/parse.hpp>
#include <boost/json/parse_options.hpp>

namespace lampi {

Result<boost::json::object> parse_json_object(std::string_view text, std::string_view what) {
    boost::json::parse_options options;
    options.max_depth = 16;  // deeper nesting is an attack, not a request
    std::error_code ec;
    boost::json::value value = boost::json::parse(text, ec, {}, options);
    if (ec) return Status::invalid_argument(fmt::format("{}: malformed JSON ({})", what, ec.message()));
    if (!value.is_object()) return Status::invalid_argument(fmt::format("{} must be a JSON object", what));
    return std::move(value.as_object());
}

}  // namespace lampi
