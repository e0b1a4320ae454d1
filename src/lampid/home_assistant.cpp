#include "home_assistant.h"

#include <fmt/core.h>

#include <boost/json.hpp>
#include <cmath>

#include "lampi/lamp_codec.h"
#include "lampi/log.h"
#include "lampi/topics.h"

namespace json = boost::json;

namespace lampi::lampid {
namespace {

constexpr double kHueDegrees = 360.0;
constexpr double kSaturationPercent = 100.0;

#ifndef LAMPI_VERSION
#define LAMPI_VERSION "unknown"
#endif

// Three decimals: what a person reads in Home Assistant, without 119.99999999999999.
double rounded(double value) { return std::round(value * 1000.0) / 1000.0; }

// A finite number at `object[key]`, scaled down by `scale`; absent: nullopt.
Result<std::optional<double>> scaled(const json::object& object, std::string_view key, double scale) {
    auto it = object.find(key);
    if (it == object.end()) return std::optional<double>();
    if (!it->value().is_number()) return Status::invalid_argument(fmt::format("\"{}\" must be a number", key));
    double value = it->value().to_number<double>();
    if (!std::isfinite(value)) return Status::invalid_argument(fmt::format("\"{}\" is not a finite number", key));
    return std::optional<double>(value / scale);
}

}  // namespace

HomeAssistant::HomeAssistant(Publisher& broker, std::string device_id, std::string_view prefix)
    : broker_(broker),
      device_id_(std::move(device_id)),
      discovery_topic_(topics::home_assistant_discovery(prefix, device_id_)) {}

void HomeAssistant::on_connected() {
    if (Status s = broker_.subscribe(topics::kHomeAssistantCommand, kLampQos); !s) log::error("{}", s.message());
    if (Status s = broker_.publish(discovery_topic_, discovery_config(device_id_), kLampQos, true); !s) {
        log::error("{}", s.message());
    }
}

void HomeAssistant::publish_state(const LampState& state) {
    if (!broker_.connected()) return;  // on_connected() is followed by LampController's announce
    if (Status s = broker_.publish(topics::kHomeAssistantState, encode_state(state), kLampQos, true); !s) {
        log::error("{}", s.message());
    }
}

std::string HomeAssistant::discovery_config(std::string_view device_id) {
    const std::string id = fmt::format("lampi_{}", device_id);
    json::object device{
        {"identifiers", json::array{json::string(id)}},
        {"name", fmt::format("LAMPi {}", device_id)},
        {"manufacturer", "LAMPi"},
        {"model", "LAMPi lamp"},
        {"sw_version", LAMPI_VERSION},
    };
    json::object config{
        // null: the light is the device's main feature and takes the device's name.
        {"name", nullptr},
        {"unique_id", id},
        {"schema", "json"},
        {"command_topic", topics::kHomeAssistantCommand},
        {"state_topic", topics::kHomeAssistantState},
        {"availability_topic", topics::connection_state(topics::kLampServiceClient)},
        {"payload_available", topics::kOnline},
        {"payload_not_available", topics::kOffline},
        {"brightness", true},
        {"brightness_scale", kBrightnessScale},
        {"supported_color_modes", json::array{"hs"}},
        // The LED changes at once: no transitions, no flashing to offer.
        {"transition", false},
        {"flash", false},
        {"qos", kLampQos},
        {"retain", false},
        {"device", std::move(device)},
    };
    return json::serialize(config);
}

std::string HomeAssistant::encode_state(const LampState& state) {
    json::object out{
        {"state", state.on ? "ON" : "OFF"},
        {"brightness", static_cast<int>(std::lround(state.brightness * kBrightnessScale))},
        {"color_mode", "hs"},
        {"color",
         json::object{{"h", rounded(state.hue * kHueDegrees)}, {"s", rounded(state.saturation * kSaturationPercent)}}},
    };
    return json::serialize(out);
}

Result<std::string> HomeAssistant::to_set_config(std::string_view command) {
    if (command.size() > kMaxPayloadBytes) {
        return Status::invalid_argument(
            fmt::format("a command of {} bytes exceeds the {}-byte limit", command.size(), kMaxPayloadBytes));
    }
    json::parse_options options;
    options.max_depth = 8;
    std::error_code ec;
    json::value value = json::parse(command, ec, {}, options);
    if (ec) return Status::invalid_argument(fmt::format("malformed JSON: {}", ec.message()));
    if (!value.is_object()) return Status::invalid_argument("a command must be a JSON object");
    const json::object& object = value.as_object();

    LampUpdate update;
    update.client = std::string(kClient);
    if (auto it = object.find("state"); it != object.end()) {
        const json::value& state = it->value();
        if (state.is_string() && state.as_string() == "ON") {
            update.on = true;
        } else if (state.is_string() && state.as_string() == "OFF") {
            update.on = false;
        } else {
            return Status::invalid_argument(R"("state" must be "ON" or "OFF")");
        }
    }
    Result<std::optional<double>> brightness = scaled(object, "brightness", kBrightnessScale);
    if (!brightness) return brightness.status();
    update.brightness = *brightness;
    if (auto it = object.find("color"); it != object.end()) {
        if (!it->value().is_object()) return Status::invalid_argument(R"("color" must be an object)");
        const json::object& color = it->value().as_object();
        if (!color.contains("h") && !color.contains("s")) {
            return Status::invalid_argument(R"(only a hue and saturation colour {"h", "s"} is supported)");
        }
        Result<std::optional<double>> hue = scaled(color, "h", kHueDegrees);
        if (!hue) return hue.status();
        Result<std::optional<double>> saturation = scaled(color, "s", kSaturationPercent);
        if (!saturation) return saturation.status();
        update.hue = *hue;
        update.saturation = *saturation;
    }
    // Out-of-range values go on as they are: the set_config codec clamps them and says so.
    return encode_set_config(update);
}

}  // namespace lampi::lampid
