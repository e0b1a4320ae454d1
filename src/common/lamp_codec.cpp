#include "lampi/lamp_codec.h"

#include <fmt/core.h>

#include <boost/json.hpp>
#include <cmath>

namespace json = boost::json;

namespace lampi {
namespace {

constexpr std::size_t kMaxClientLength = 128;

Result<json::object> parse_object(std::string_view payload) {
    if (payload.size() > kMaxPayloadBytes) {
        return Status::error(fmt::format("payload of {} bytes exceeds the {}-byte limit",
                                         payload.size(), kMaxPayloadBytes));
    }
    unsigned char buffer[8192];
    json::monotonic_resource scratch(buffer, sizeof buffer);
    json::parse_options options;
    options.max_depth = 8;
    std::error_code ec;
    json::value value = json::parse(payload, ec, &scratch, options);
    if (ec) return Status::error(fmt::format("malformed JSON: {}", ec.message()));
    if (!value.is_object()) return Status::error("payload must be a JSON object");
    // Copy out of the scratch buffer into the default allocator.
    return json::object(value.as_object(), json::storage_ptr());
}

// Reads a number in 0..1 from `object[key]`; clamps with a warning when out of range.
Status read_unit(const json::object& object, std::string_view key, std::string_view label,
                 std::optional<double>& out, std::vector<std::string>* warnings) {
    auto it = object.find(key);
    if (it == object.end()) return Status::ok();
    const json::value& value = it->value();
    if (!value.is_number()) return Status::error(fmt::format("\"{}\" must be a number in 0..1", label));
    double number = value.to_number<double>();
    if (!std::isfinite(number)) return Status::error(fmt::format("\"{}\" is not a finite number", label));
    if (number < 0.0 || number > 1.0) {
        if (!warnings) return Status::error(fmt::format("\"{}\" = {} is outside 0..1", label, number));
        double clamped = number < 0.0 ? 0.0 : 1.0;
        warnings->push_back(fmt::format("\"{}\" = {} clamped to {}", label, number, clamped));
        number = clamped;
    }
    out = number;
    return Status::ok();
}

Status read_client(const json::object& object, std::optional<std::string>& out) {
    auto it = object.find("client");
    if (it == object.end()) return Status::ok();
    if (!it->value().is_string()) return Status::error("\"client\" must be a string");
    const json::string& client = it->value().as_string();
    if (client.size() > kMaxClientLength) {
        return Status::error(fmt::format("\"client\" is longer than {} characters", kMaxClientLength));
    }
    for (char c : client) {
        if (static_cast<unsigned char>(c) < 0x20) return Status::error("\"client\" contains control characters");
    }
    out = std::string(client);
    return Status::ok();
}

Status read_fields(const json::object& object, LampUpdate& update, std::vector<std::string>* warnings) {
    if (auto it = object.find("on"); it != object.end()) {
        if (!it->value().is_bool()) return Status::error("\"on\" must be true or false");
        update.on = it->value().as_bool();
    }
    if (auto it = object.find("color"); it != object.end()) {
        if (!it->value().is_object()) return Status::error("\"color\" must be an object {\"h\": 0..1, \"s\": 0..1}");
        const json::object& color = it->value().as_object();
        if (Status s = read_unit(color, "h", "color.h", update.hue, warnings); !s) return s;
        if (Status s = read_unit(color, "s", "color.s", update.saturation, warnings); !s) return s;
    }
    if (Status s = read_unit(object, "brightness", "brightness", update.brightness, warnings); !s) return s;
    return read_client(object, update.client);
}

// An optional non-negative integer field that fits in int64.
Status read_count(const json::object& object, std::string_view key, std::optional<std::int64_t>& out) {
    auto it = object.find(key);
    if (it == object.end()) return Status::ok();
    const json::value& value = it->value();
    if (value.is_int64() && value.as_int64() >= 0) {
        out = value.as_int64();
    } else if (value.is_uint64() && value.as_uint64() <= static_cast<std::uint64_t>(INT64_MAX)) {
        out = static_cast<std::int64_t>(value.as_uint64());
    } else {
        return Status::error(fmt::format("\"{}\" must be a non-negative integer", key));
    }
    return Status::ok();
}

// Encoding is done with fmt rather than json::serialize so numbers read as
// people write them ("0.5", "1") instead of Boost's "5E-1"; both round-trip.
std::string number(double value) { return std::isfinite(value) ? fmt::format("{}", value) : "0"; }

std::string quoted(std::string_view text) { return json::serialize(json::string_view(text)); }

}  // namespace

Result<DecodedUpdate> decode_set_config(std::string_view payload) {
    Result<json::object> object = parse_object(payload);
    if (!object) return object.status();
    DecodedUpdate decoded;
    if (Status s = read_fields(*object, decoded.update, &decoded.warnings); !s) return s;
    if (Status s = read_count(*object, "sent_at", decoded.update.sent_at); !s) return s;
    return decoded;
}

std::string encode_set_config(const LampUpdate& update) {
    std::string out = "{";
    auto field = [&out](std::string_view text) {
        if (out.size() > 1) out += ',';
        out += text;
    };
    if (update.on) field(fmt::format("\"on\":{}", *update.on));
    if (update.hue || update.saturation) {
        std::string color;
        if (update.hue) color = fmt::format("\"h\":{}", number(*update.hue));
        if (update.saturation) color += fmt::format("{}\"s\":{}", color.empty() ? "" : ",", number(*update.saturation));
        field(fmt::format("\"color\":{{{}}}", color));
    }
    if (update.brightness) field(fmt::format("\"brightness\":{}", number(*update.brightness)));
    if (update.client) field(fmt::format("\"client\":{}", quoted(*update.client)));
    if (update.sent_at) field(fmt::format("\"sent_at\":{}", *update.sent_at));
    out += '}';
    return out;
}

namespace {

// The settings of a state, without braces: shared by lamp/changed and lamp/health.
std::string settings_fields(const LampState& state) {
    return fmt::format(R"("on":{},"color":{{"h":{},"s":{}}},"brightness":{},"client":{})", state.on,
                       number(state.hue), number(state.saturation), number(state.brightness), quoted(state.client));
}

}  // namespace

std::string encode_changed(const LampState& state) {
    std::string changed_at = state.changed_at > 0 ? fmt::format(R"(,"changed_at":{})", state.changed_at) : "";
    return fmt::format(R"({{{},"version":{}{}}})", settings_fields(state), state.version, changed_at);
}

Result<LampState> decode_changed(std::string_view payload) {
    Result<json::object> object = parse_object(payload);
    if (!object) return object.status();
    LampUpdate update;
    if (Status s = read_fields(*object, update, nullptr); !s) return s;
    if (!update.on || !update.hue || !update.saturation || !update.brightness) {
        return Status::error("a full state needs \"on\", \"color\": {\"h\", \"s\"} and \"brightness\"");
    }
    LampState state;
    state.on = *update.on;
    state.hue = *update.hue;
    state.saturation = *update.saturation;
    state.brightness = *update.brightness;
    if (update.client) state.client = *update.client;
    if (auto it = object->find("version"); it != object->end()) {
        const json::value& version = it->value();
        if (version.is_uint64()) {
            state.version = version.as_uint64();
        } else if (version.is_int64() && version.as_int64() >= 0) {
            state.version = static_cast<std::uint64_t>(version.as_int64());
        } else {
            return Status::error("\"version\" must be a non-negative integer");
        }
    }
    std::optional<std::int64_t> changed_at;
    if (Status s = read_count(*object, "changed_at", changed_at); !s) return s;
    state.changed_at = changed_at.value_or(0);
    return state;
}

std::string encode_association_offer(std::string_view code, int expires_in_seconds) {
    return fmt::format(R"({{"code":{},"claimed":false,"expires_in":{}}})", quoted(code), expires_in_seconds);
}

Result<Association> decode_association(std::string_view payload) {
    Result<json::object> object = parse_object(payload);
    if (!object) return object.status();
    Association association;
    auto claimed = object->find("claimed");
    if (claimed == object->end() || !claimed->value().is_bool()) {
        return Status::error("lamp/associated needs \"claimed\": true or false");
    }
    association.claimed = claimed->value().as_bool();
    if (auto code = object->find("code"); code != object->end()) {
        if (!code->value().is_string() || code->value().as_string().size() > 32) {
            return Status::error("\"code\" must be a short string");
        }
        association.code = std::string(code->value().as_string());
    }
    if (Status s = read_count(*object, "expires_in", association.expires_in); !s) return s;
    return association;
}

std::string encode_association_answer(bool claimed) { return fmt::format(R"({{"claimed":{}}})", claimed); }

std::string encode_health(const LampHealth& health) {
    std::string out = fmt::format(R"({{"durable":{},"led":{})", health.durable, health.led);
    if (!health.error.empty()) out += fmt::format(R"(,"error":{})", quoted(health.error));
    if (health.live) out += fmt::format(R"(,"live":{{{}}})", settings_fields(*health.live));
    out += '}';
    return out;
}

Result<LampHealth> decode_health(std::string_view payload) {
    Result<json::object> object = parse_object(payload);
    if (!object) return object.status();
    LampHealth health;
    for (auto [key, flag] : {std::pair{"durable", &health.durable}, std::pair{"led", &health.led}}) {
        auto it = object->find(key);
        if (it == object->end() || !it->value().is_bool()) {
            return Status::error(fmt::format("lamp/health needs \"{}\": true or false", key));
        }
        *flag = it->value().as_bool();
    }
    if (auto it = object->find("error"); it != object->end()) {
        if (!it->value().is_string()) return Status::error("\"error\" must be a string");
        health.error = std::string(it->value().as_string());
    }
    if (auto it = object->find("live"); it != object->end()) {
        if (!it->value().is_object()) return Status::error("\"live\" must be an object");
        Result<LampState> live = decode_changed(json::serialize(it->value()));
        if (!live) return live.status();
        health.live = *live;
    }
    return health;
}

}  // namespace lampi
