// GattApplication: the LAMPi GATT service (gatt_codec.h) and its advertisement
// as the D-Bus objects BlueZ asks for: one ObjectManager root with an
// org.bluez.GattService1 and four org.bluez.GattCharacteristic1 below it, and
// an org.bluez.LEAdvertisement1 ("LAMPi <device id>", the service UUID).
//
// BlueZ's side of the contract (doc/gatt-api.txt, doc/advertising-api.txt):
// after RegisterApplication it reads the tree with GetManagedObjects, then
// calls ReadValue/WriteValue with an options dict ("offset", "device", ...)
// for each central's request, StartNotify/StopNotify as centrals subscribe and
// leave, and turns PropertiesChanged on "Value" into notifications.
//
// Every method runs on the thread that runs the connection's event loop;
// show() must be called there too (ble_app.cpp runs one loop for both).
#pragma once

#include <sdbus-c++/sdbus-c++.h>

#include <array>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "gatt_codec.h"
#include "lampi/lamp_state.h"

namespace lampi::ble {

inline constexpr const char* kGattServiceInterface = "org.bluez.GattService1";
inline constexpr const char* kGattCharacteristicInterface = "org.bluez.GattCharacteristic1";
inline constexpr const char* kAdvertisementInterface = "org.bluez.LEAdvertisement1";

// A write that decoded well goes here: nullopt when it was sent on, else why not.
using WriteHandler = std::function<std::optional<WriteRefusal>(LampUpdate update)>;

class GattApplication {
public:
    // Objects under `root` ("/org/lampi/gatt"); the advertisement at `advertisement_path`.
    GattApplication(sdbus::IConnection& bus, const std::string& root, std::string advertisement_path,
                    std::string device_id, WriteHandler on_write);
    ~GattApplication();

    const std::string& root() const { return root_; }
    const std::string& advertisement_path() const { return advertisement_path_; }
    static std::string characteristic_path(const std::string& root, Characteristic c);

    // The lamp's newest state: subscribed characteristics whose bytes changed notify.
    void show(const LampState& state);
    bool has_state() const { return state_.has_value(); }

    struct Counters {
        long reads = 0;
        long writes = 0;
        long refused_writes = 0;
        long notifications = 0;
    };
    const Counters& counters() const { return counters_; }

private:
    struct Chrc {
        Characteristic kind;
        std::unique_ptr<sdbus::IObject> object;
        bool notifying = false;
        std::vector<std::uint8_t> last_sent;
    };
    void add_characteristic(sdbus::IConnection& bus, Chrc& chrc);
    std::vector<std::uint8_t> value_of(Characteristic c) const;
    void write(Chrc& chrc, const std::vector<std::uint8_t>& value,
               const std::map<std::string, sdbus::Variant>& options);
    void set_notifying(Chrc& chrc, bool on);

    std::string root_;
    std::string service_path_;
    std::string advertisement_path_;
    std::string device_id_;
    WriteHandler on_write_;
    std::optional<LampState> state_;
    Counters counters_;
    std::unique_ptr<sdbus::IObject> root_object_;
    std::unique_ptr<sdbus::IObject> service_;
    std::array<Chrc, kCharacteristics.size()> chrcs_;
    std::unique_ptr<sdbus::IObject> advertisement_;
};

// The "offset" of a ReadValue/WriteValue options dict (0 when absent); throws
// sdbus::Error (org.bluez.Error.InvalidOffset) when it is not a uint16.
std::uint16_t offset_option(const std::map<std::string, sdbus::Variant>& options);

}  // namespace lampi::ble
