#include "api/json_body.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "lampi/json_object.h"
#include "lampi/utc_time.h"

namespace lampi::cloud::api {
namespace json = boost::json;

Result<http::Fields> body_fields(const http::Request& request) {
    std::string_view type = request.header("Content-Type");
    std::string_view body = request.body;
    std::size_t first = body.find_first_not_of(" \t\r\n");
    bool is_json = type.find("json") != std::string_view::npos ||
                   (type.empty() && first != std::string_view::npos && body[first] == '{');
    if (!is_json) return http::parse_form(body);
    auto object = parse_json_object(body, "the JSON body");
    if (!object) return object.status();
    std::vector<http::Field> fields;
    for (const auto& kv : *object) {
        std::string name(kv.key());
        const json::value& v = kv.value();
        if (v.is_string()) {
            fields.push_back({name, std::string(v.as_string())});
        } else if (v.is_int64() || v.is_uint64() || v.is_double() || v.is_bool()) {
            fields.push_back({name, json::serialize(v)});
        } else if (v.is_null()) {
            fields.push_back({name, ""});
        } else {
            return Status::invalid_argument("field \"" + name + "\" must be a string, number or boolean");
        }
    }
    return http::Fields(std::move(fields));
}

json::object lamp_json(const storage::Lamp& lamp, const std::optional<std::string>& health_json) {
    json::object o;
    o["device_id"] = lamp.device_id;
    o["name"] = lamp.name;
    o["room"] = lamp.room;
    o["online"] = lamp.online;
    json::value state = nullptr;
    if (!lamp.state_json.empty()) {
        boost::system::error_code ec;
        json::value parsed = json::parse(lamp.state_json, ec);
        if (!ec) state = std::move(parsed);
    }
    o["state"] = std::move(state);
    json::value health = nullptr;
    if (health_json) {
        boost::system::error_code ec;
        json::value parsed = json::parse(*health_json, ec);
        if (!ec) health = std::move(parsed);
    }
    o["health"] = std::move(health);
    o["updated_at"] = lamp.updated_at;
    if (lamp.last_seen_at) o["last_seen"] = utc_iso8601(*lamp.last_seen_at);
    else o["last_seen"] = nullptr;
    return o;
}

}  // namespace lampi::cloud::api
