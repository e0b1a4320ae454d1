// Scenes: a look for the lamps of a room, applied in one step.
//
// Built-in scenes are one look for every lamp of the room (a white of a colour
// temperature at a brightness; include/lampi/color.h maps the temperature to the
// lamp's hue and saturation). A saved scene is the look each lamp of a room had
// when the user saved it (its last lamp/changed as the cloud stored it), kept per
// user in the database. Applying sends set_config to the lamps through
// LampService, so the lamps confirm it with lamp/changed as for any command.
//
// Ids: a built-in's is its slug ("warm-white"); a saved scene's is its database id
// as decimal text. Thread-safe as LampService and Store are.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lampi/lamp_state.h"
#include "lampi/status.h"
#include "lamps/lamp_service.h"
#include "storage/store.h"

namespace lampi::cloud::lamps {

struct BuiltinScene {
    std::string id;
    std::string name;
    double kelvin = 0;
    double brightness = 0;
    // The set_config it sends: on, the white of `kelvin`, `brightness`.
    LampUpdate look() const;
};

class Scenes {
public:
    Scenes(storage::Store& store, LampService& lamps) : store_(store), lamps_(lamps) {}

    // Warm white, cool white, reading, night light.
    static const std::vector<BuiltinScene>& builtins();

    Result<std::vector<storage::Scene>> saved(std::int64_t user_id);
    // Saves how the user's lamps in `room` look now (those that ever reported a
    // state). invalid_argument: a bad name or room; not_found: no lamp in that
    // room; failed_precondition: none of them has reported; already_exists: the
    // name is taken.
    Result<storage::Scene> save(std::int64_t user_id, std::string_view name, std::string_view room, std::int64_t now);
    // failed_precondition: a schedule sets the scene (schedules/ refuses first, naming them).
    Status remove(std::int64_t user_id, std::string_view scene_id);
    // Applies the scene to the lamps of `room` (a saved scene: its own room when
    // nullopt; a built-in needs one). Returns the device ids sent to.
    Result<std::vector<std::string>> apply(std::int64_t user_id, std::string_view scene_id,
                                           std::optional<std::string_view> room,
                                           CommandSender sender = CommandSender::person);

private:
    Result<storage::Scene> saved_scene(std::int64_t user_id, std::string_view scene_id);

    storage::Store& store_;
    LampService& lamps_;
};

}  // namespace lampi::cloud::lamps
