// What Home Assistant's MQTT integration accepts as a JSON-schema light's
// discovery config, key by key, to check the config a lamp announces.
//
// From Home Assistant's documentation of MQTT lights (JSON schema) and the
// schema its MQTT integration validates discovery with (home-assistant/core,
// homeassistant/components/mqtt/light/schema_json.py and mqtt/schemas.py, as of
// 2025.3, when the legacy "color_mode" flag was removed). Keys it does not know
// are dropped silently there, so an unknown key here is a typo: the check refuses it.
#pragma once

#include <boost/json.hpp>
#include <set>
#include <string>
#include <vector>

namespace lampi::testing {

// Every violation found in `config`; empty when Home Assistant would take it.
inline std::vector<std::string> home_assistant_light_violations(const boost::json::object& config) {
    namespace json = boost::json;
    std::vector<std::string> found;
    auto topic = [&](const std::string& key, bool publish) {
        auto it = config.find(key);
        if (it == config.end()) return;
        if (!it->value().is_string() || it->value().as_string().empty()) {
            found.emplace_back(key + " must be a non-empty string");
        } else if (publish && std::string(it->value().as_string()).find_first_of("+#") != std::string::npos) {
            found.emplace_back(key + " must be a topic one can publish to (no wildcards)");
        }
    };
    auto typed = [&](const std::string& key, bool (json::value::*is)() const noexcept, const char* type) {
        auto it = config.find(key);
        if (it != config.end() && !(it->value().*is)()) found.emplace_back(key + " must be " + type);
    };
    // Required.
    if (!config.contains("command_topic")) found.emplace_back("command_topic is required");
    topic("command_topic", true);
    if (!config.contains("schema") || !config.at("schema").is_string() || config.at("schema").as_string() != "json")
        found.emplace_back("schema must be \"json\"");
    // Optional, with their types.
    topic("state_topic", false);
    topic("availability_topic", false);
    for (const char* key : {"unique_id", "payload_available", "payload_not_available", "object_id"})
        typed(key, &json::value::is_string, "a string");
    if (auto it = config.find("name"); it != config.end() && !it->value().is_string() && !it->value().is_null())
        found.emplace_back("name must be a string or null");
    for (const char* key : {"brightness", "transition", "flash", "effect", "optimistic", "retain", "color_temp_kelvin",
                            "enabled_by_default"})
        typed(key, &json::value::is_bool, "true or false");
    if (auto it = config.find("brightness_scale");
        it != config.end() && !(it->value().is_int64() && it->value().as_int64() >= 1))
        found.emplace_back("brightness_scale must be an integer >= 1");
    if (auto it = config.find("qos");
        it != config.end() && !(it->value().is_int64() && it->value().as_int64() >= 0 && it->value().as_int64() <= 2))
        found.emplace_back("qos must be 0, 1 or 2");
    if (auto it = config.find("supported_color_modes"); it != config.end()) {
        static const std::set<std::string> kModes = {"onoff", "brightness", "color_temp", "hs",   "xy",
                                                     "rgb",   "rgbw",       "rgbww",      "white"};
        std::set<std::string> seen;
        if (!it->value().is_array()) {
            found.emplace_back("supported_color_modes must be a list");
        } else {
            for (const json::value& mode : it->value().as_array()) {
                if (!mode.is_string() || !kModes.count(std::string(mode.as_string())))
                    found.emplace_back("supported_color_modes holds an unknown mode");
                else if (!seen.insert(std::string(mode.as_string())).second)
                    found.emplace_back("supported_color_modes repeats a mode");
            }
        }
        // "onoff" and "brightness" must stand alone (light.valid_supported_color_modes).
        if ((seen.count("onoff") || seen.count("brightness")) && seen.size() > 1)
            found.emplace_back("onoff or brightness cannot be combined with another colour mode");
    }
    if (auto it = config.find("device"); it != config.end()) {
        if (!it->value().is_object()) {
            found.emplace_back("device must be an object");
        } else {
            const json::object& device = it->value().as_object();
            bool identified = false;
            if (auto ids = device.find("identifiers"); ids != device.end()) {
                if (!ids->value().is_array()) {
                    found.emplace_back("device.identifiers must be a list of strings");
                } else {
                    for (const json::value& id : ids->value().as_array()) {
                        if (!id.is_string()) found.emplace_back("device.identifiers must be a list of strings");
                    }
                    identified = !ids->value().as_array().empty();
                }
            }
            if (auto connections = device.find("connections"); connections != device.end()) {
                identified = identified ||
                             (connections->value().is_array() && !connections->value().as_array().empty());
            }
            if (!identified) found.emplace_back("device needs at least one of identifiers or connections");
            for (const auto& [key, value] : device) {
                static const std::set<std::string> kStrings = {"manufacturer",   "model",
                                                               "model_id",       "name",
                                                               "hw_version",     "serial_number",
                                                               "sw_version",     "via_device",
                                                               "suggested_area", "configuration_url"};
                if (kStrings.count(std::string(key)) && !value.is_string())
                    found.emplace_back("device." + std::string(key) + " must be a string");
                else if (!kStrings.count(std::string(key)) && key != "identifiers" && key != "connections")
                    found.emplace_back("device." + std::string(key) + " is not a key Home Assistant knows");
            }
        }
    }
    static const std::set<std::string> kKnown = {"command_topic",
                                                 "schema",
                                                 "state_topic",
                                                 "availability_topic",
                                                 "unique_id",
                                                 "payload_available",
                                                 "payload_not_available",
                                                 "object_id",
                                                 "name",
                                                 "brightness",
                                                 "transition",
                                                 "flash",
                                                 "effect",
                                                 "optimistic",
                                                 "retain",
                                                 "color_temp_kelvin",
                                                 "enabled_by_default",
                                                 "brightness_scale",
                                                 "qos",
                                                 "supported_color_modes",
                                                 "device",
                                                 "availability_mode",
                                                 "icon",
                                                 "entity_category",
                                                 "effect_list",
                                                 "flash_time_long",
                                                 "flash_time_short",
                                                 "max_kelvin",
                                                 "min_kelvin",
                                                 "white_scale",
                                                 "encoding",
                                                 "json_attributes_topic",
                                                 "origin",
                                                 "default_entity_id"};
    for (const auto& [key, value] : config) {
        if (!kKnown.count(std::string(key)))
            found.emplace_back(std::string(key) + " is not a key Home Assistant knows");
    }
    return found;
}

}  // namespace lampi::testing
