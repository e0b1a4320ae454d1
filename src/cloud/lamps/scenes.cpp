#include "lamps/scenes.h"

#include <fmt/core.h>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <charconv>

#include "lampi/color.h"
#include "lampi/lamp_codec.h"
#include "lampi/log.h"

namespace lampi::cloud::lamps {
namespace json = boost::json;
namespace {

constexpr std::size_t kMaxSceneNameLength = 60;

Status scene_not_found(std::string_view id) {
    return Status::not_found(fmt::format("you have no scene {}; see GET /api/v1/scenes", id));
}

// A saved scene's lamps: device id -> the set_config that brings it back.
Result<std::vector<std::pair<std::string, LampUpdate>>> scene_lamps(const storage::Scene& scene) {
    boost::system::error_code ec;
    json::value parsed = json::parse(scene.lamps_json, ec);
    if (ec || !parsed.is_object()) return Status::internal(fmt::format("scene {} holds malformed lamps", scene.id));
    std::vector<std::pair<std::string, LampUpdate>> out;
    for (const auto& kv : parsed.as_object()) {
        auto update = decode_set_config(json::serialize(kv.value()));
        if (!update) return Status::internal(fmt::format("scene {}: {}", scene.id, update.status().message()));
        out.emplace_back(std::string(kv.key()), update->update);
    }
    return out;
}

}  // namespace

LampUpdate BuiltinScene::look() const {
    HueSaturation white = white_of_temperature(kelvin);
    LampUpdate update;
    update.on = true;
    update.hue = white.hue;
    update.saturation = white.saturation;
    update.brightness = brightness;
    return update;
}

const std::vector<BuiltinScene>& Scenes::builtins() {
    static const std::vector<BuiltinScene> scenes = {
        {"warm-white", "Warm white", 2700, 0.8},
        {"cool-white", "Cool white", 6500, 1.0},
        // Bright and neutral, for reading without glare.
        {"reading", "Reading", 4000, 1.0},
        // The warmest white, barely lit: enough to find the way at night.
        {"night-light", "Night light", 2000, 0.05},
    };
    return scenes;
}

Result<std::vector<storage::Scene>> Scenes::saved(std::int64_t user_id) { return store_.scenes_of(user_id); }

Result<storage::Scene> Scenes::save(std::int64_t user_id, std::string_view name, std::string_view room,
                                    std::int64_t now) {
    if (name.empty() || name.size() > kMaxSceneNameLength)
        return Status::invalid_argument(fmt::format("a scene name has 1 to {} characters", kMaxSceneNameLength));
    for (char c : name)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
            return Status::invalid_argument("a scene name may not contain control characters");
    for (const auto& builtin : builtins())
        if (builtin.name == name)
            return Status::already_exists(fmt::format("\"{}\" is a built-in scene; choose another name", name));
    if (Status s = LampService::check_room(room); !s) return s;
    auto lamps = store_.lamps_of(user_id);
    if (!lamps) return lamps.status();
    json::object looks;
    bool any_in_room = false;
    for (const auto& lamp : *lamps) {
        if (lamp.room != room) continue;
        any_in_room = true;
        if (lamp.state_json.empty()) continue;
        auto state = decode_changed(lamp.state_json);
        if (!state) continue;  // never stored: the cloud keeps only what decodes
        LampUpdate look;
        look.on = state->on;
        look.hue = state->hue;
        look.saturation = state->saturation;
        look.brightness = state->brightness;
        looks[lamp.device_id] = json::parse(encode_set_config(look));
    }
    if (!any_in_room)
        return Status::not_found(room.empty() ? std::string("you have no lamp outside a room")
                                              : fmt::format("you have no lamp in the room \"{}\"", room));
    if (looks.empty())
        return Status::failed_precondition(
            "none of the lamps in that room has reported how it looks yet; try again "
            "when they are on line");
    storage::Scene scene{0, user_id, std::string(name), std::string(room), json::serialize(looks), now};
    auto id = store_.create_scene(scene);
    if (!id) return id.status();
    scene.id = *id;
    return scene;
}

Result<storage::Scene> Scenes::saved_scene(std::int64_t user_id, std::string_view scene_id) {
    std::int64_t id = 0;
    auto [end, ec] = std::from_chars(scene_id.data(), scene_id.data() + scene_id.size(), id);
    if (ec != std::errc() || end != scene_id.data() + scene_id.size()) return scene_not_found(scene_id);
    auto scene = store_.scene(user_id, id);
    if (!scene) return scene.status();
    if (!*scene) return scene_not_found(scene_id);
    return **scene;
}

Status Scenes::remove(std::int64_t user_id, std::string_view scene_id) {
    for (const auto& builtin : builtins())
        if (builtin.id == scene_id) return Status::permission_denied("built-in scenes cannot be deleted");
    auto scene = saved_scene(user_id, scene_id);
    if (!scene) return scene.status();
    auto done = store_.delete_scene(user_id, scene->id);
    if (!done) return done.status();
    // Still there: a schedule sets it (one made since the caller looked, or a
    // caller that did not look; Schedules::check_scene_unused names them).
    if (*done) return Status::ok();
    auto still = store_.scene(user_id, scene->id);
    if (still && *still)
        return Status::failed_precondition(
            fmt::format("the scene \"{}\" is set by a schedule; delete that schedule or change what it sets first",
                        scene->name));
    return scene_not_found(scene_id);
}

Result<std::vector<std::string>> Scenes::apply(std::int64_t user_id, std::string_view scene_id,
                                               std::optional<std::string_view> room, CommandSender sender) {
    if (room) {
        if (Status s = LampService::check_room(*room); !s) return s;
    }
    for (const auto& builtin : builtins()) {
        if (builtin.id != scene_id) continue;
        if (!room) return Status::invalid_argument(R"(say which room: {"room": "..."})");
        return lamps_.set_room_state(user_id, *room, builtin.look(), sender);
    }
    auto scene = saved_scene(user_id, scene_id);
    if (!scene) return scene.status();
    std::string target = room ? std::string(*room) : scene->room;
    auto looks = scene_lamps(*scene);
    if (!looks) return looks.status();
    auto owned = store_.lamps_of(user_id);
    if (!owned) return owned.status();
    std::vector<std::string> sent;
    // Lamps that left the room (or the account) since the scene was saved are left alone.
    for (const auto& [device_id, look] : *looks) {
        bool in_room = false;
        for (const auto& lamp : *owned) in_room = in_room || (lamp.device_id == device_id && lamp.room == target);
        if (!in_room) continue;
        auto published = lamps_.set_state(user_id, device_id, look, sender);
        if (!published) return published.status();
        sent.push_back(device_id);
    }
    if (sent.empty())
        return Status::failed_precondition(
            fmt::format(R"(none of the lamps of scene "{}" is in the room "{}" now)", scene->name, target));
    return sent;
}

}  // namespace lampi::cloud::lamps
