// Prints what the lamp's GATT codec (src/ble/gatt_codec.h) makes of a table of
// values, as JSON, so the page's copy (web/src/gatt.js) can be checked against it
// by tests/ble/gatt_js.test.mjs:
//   {"uuids": {...}, "fractions": [{"value", "colour", "brightness"}...],
//    "power": {"on", "off"}, "device_id", "decoded": [{"bytes", "hue", "saturation", "brightness"}...],
//    "power_writes": [{"bytes", "on" or "refused"}...]}
#include <fmt/core.h>

#include <cstdint>
#include <string>
#include <vector>

#include "gatt_codec.h"

namespace {

using lampi::LampState;
using lampi::ble::Characteristic;
using Bytes = std::vector<std::uint8_t>;

std::string json_bytes(const Bytes& bytes) {
    std::string out = "[";
    for (std::size_t i = 0; i < bytes.size(); ++i) out += fmt::format("{}{}", i ? "," : "", bytes[i]);
    return out + "]";
}

// Shortest text that reads back as the same double (fmt's default).
std::string json_number(double v) { return fmt::format("{}", v); }

}  // namespace

int main() {
    // Ends, the documented examples, thirds and values that round either way,
    // and out-of-range values the codec clamps.
    const std::vector<double> fractions = {0.0,       1.0,         0.5,   0.25,  0.75,        1.0 / 3,
                                           2.0 / 3,   0.1,         0.001, 0.999, 0.123456,    1e-6,
                                           0.9999999, 7.5 / 65535, -0.5,  1.5,   0.5 / 65535, 1.5 / 65535};
    std::string out = "{\"uuids\":{";
    out += fmt::format(R"("service":"{}")", lampi::ble::kServiceUuid);
    for (Characteristic c : lampi::ble::kCharacteristics)
        out += fmt::format(R"(,"{}":"{}")", lampi::ble::name_of(c), lampi::ble::uuid_of(c));
    out += "},\"fractions\":[";
    for (std::size_t i = 0; i < fractions.size(); ++i) {
        LampState s;
        s.hue = fractions[i];
        s.saturation = fractions[fractions.size() - 1 - i];
        s.brightness = fractions[i];
        out += fmt::format(R"({}{{"value":{},"other":{},"colour":{},"brightness":{}}})", i ? "," : "",
                           json_number(fractions[i]), json_number(s.saturation),
                           json_bytes(encode(Characteristic::colour, s, "")),
                           json_bytes(encode(Characteristic::brightness, s, "")));
    }
    LampState on;
    on.on = true;
    out += fmt::format(R"(],"power":{{"on":{},"off":{}}})", json_bytes(encode(Characteristic::power, on, "")),
                       json_bytes(encode(Characteristic::power, LampState{}, "")));
    out += fmt::format(",\"device_id\":{}", json_bytes(encode(Characteristic::device_id, on, "b827eb74663e")));

    // What the lamp reads from written bytes.
    const std::vector<Bytes> colours = {{0, 0, 0, 0},
                                        {0x00, 0x80, 0xff, 0xff},
                                        {0xff, 0xff, 0x00, 0x40},
                                        {0x01, 0x00, 0xfe, 0xff},
                                        {0x55, 0x55, 0xaa, 0xaa},
                                        {0x34, 0x12, 0x78, 0x56}};
    out += ",\"decoded\":[";
    for (std::size_t i = 0; i < colours.size(); ++i) {
        auto colour = lampi::ble::decode_write(Characteristic::colour, colours[i]);
        auto brightness =
            lampi::ble::decode_write(Characteristic::brightness, Bytes(colours[i].begin(), colours[i].begin() + 2));
        out += fmt::format(R"({}{{"bytes":{},"hue":{},"saturation":{},"brightness":{}}})", i ? "," : "",
                           json_bytes(colours[i]), json_number(*colour.update->hue),
                           json_number(*colour.update->saturation), json_number(*brightness.update->brightness));
    }
    out += "],\"power_writes\":[";
    const std::vector<Bytes> powers = {{0}, {1}, {2}, {0xff}};
    for (std::size_t i = 0; i < powers.size(); ++i) {
        auto power = lampi::ble::decode_write(Characteristic::power, powers[i]);
        out += fmt::format("{}{{\"bytes\":{},", i ? "," : "", json_bytes(powers[i]));
        out += power.update ? fmt::format("\"on\":{}}}", *power.update->on) : std::string("\"refused\":true}");
    }
    fmt::print("{}]}}\n", out);
    return 0;
}
