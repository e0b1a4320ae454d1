#include "auth/json_object.h"

#include <fmt/core.h>

#include <boost/json/parse.hpp>

namespace lampi::cloud::auth {

Result<boost::json::object> parse_json_object(std::string_view text, std::string_view what) {
    std::error_code ec;
    boost::json::value value = boost::json::parse(text, ec);
    if (ec || !value.is_object()) return Status::error(fmt::format("{}: not a JSON object", what));
    return std::move(value.as_object());
}

}  // namespace lampi::cloud::auth
