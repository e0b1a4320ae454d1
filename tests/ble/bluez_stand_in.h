// Test support for lampi-ble: a private dbus-daemon, and a stand-in for
// bluetoothd's side of the GATT and advertising D-Bus contract (BlueZ's
// doc/gatt-api.txt and doc/advertising-api.txt). This machine has no Bluetooth
// controller, so nothing here talks to a radio: the stand-in does what
// bluetoothd does with a registered application - reads its object tree, calls
// ReadValue/WriteValue with an options dict as a central's requests arrive,
// StartNotify/StopNotify as centrals subscribe and leave - and records the
// PropertiesChanged signals that bluetoothd would turn into notifications.
#pragma once

#include <sdbus-c++/sdbus-c++.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "process.h"

namespace lampi::testing {

// A dbus-daemon on a unix socket in `dir`, for this test alone.
class PrivateBus {
public:
    explicit PrivateBus(const TempDir& dir);
    const std::string& address() const { return address_; }
    bool ready() const { return ready_; }
    std::string log() const { return daemon_->log(); }

private:
    std::string address_;
    std::unique_ptr<Process> daemon_;
    bool ready_ = false;
};

using ManagedObjects = std::map<sdbus::ObjectPath, std::map<std::string, std::map<std::string, sdbus::Variant>>>;

// A D-Bus answer: the value, or the error's name and message.
struct GattAnswer {
    std::vector<std::uint8_t> value;
    std::string error_name;
    std::string error_message;
    bool ok() const { return error_name.empty(); }
};

class BluezStandIn {
public:
    BluezStandIn(const std::string& bus_address, std::string adapter_path = "/org/bluez/hci0");
    ~BluezStandIn();

    // Until both the application and the advertisement are registered.
    bool wait_registered(std::chrono::milliseconds timeout);
    // How many times each was registered (a restart of bluetoothd registers again).
    int application_registrations() const;
    ManagedObjects application_tree() const;
    std::map<std::string, sdbus::Variant> advertisement() const;
    // The path of the characteristic with `uuid` in the registered tree ("" if none).
    std::string characteristic(const std::string& uuid) const;

    // A central's requests, as bluetoothd passes them on. `options` beyond the
    // offset carry what bluetoothd adds ("device", "mtu", "link").
    GattAnswer read(const std::string& uuid, std::uint16_t offset = 0);
    GattAnswer write(const std::string& uuid, const std::vector<std::uint8_t>& value, std::uint16_t offset = 0);
    GattAnswer start_notify(const std::string& uuid);
    GattAnswer stop_notify(const std::string& uuid);
    // A raw call with a hand-made options dict (bad types included).
    GattAnswer write_with_options(const std::string& uuid, const std::vector<std::uint8_t>& value,
                                  const std::map<std::string, sdbus::Variant>& options);

    // Every "Value" a PropertiesChanged signal carried for `uuid`, oldest first.
    std::vector<std::vector<std::uint8_t>> notifications(const std::string& uuid) const;
    // Waits for a notification of `uuid` that satisfies `match`.
    bool wait_notification(const std::string& uuid, const std::function<bool(const std::vector<std::uint8_t>&)>& match,
                           std::chrono::milliseconds timeout);

    // The pairing agent, once RegisterAgent and RequestDefaultAgent came in.
    bool wait_default_agent(std::chrono::milliseconds timeout);
    std::string agent_capability() const;
    // What bluetoothd does when a phone pairs with numeric comparison: calls the
    // default agent's RequestConfirmation(device, passkey) and waits up to `timeout`
    // (blocks: call it from a thread of the test's own).
    GattAnswer request_confirmation(const std::string& device, std::uint32_t passkey,
                                    std::chrono::milliseconds timeout);
    // Any other Agent1 method with no arguments beyond the device (RequestAuthorization, ...).
    GattAnswer call_agent(const std::string& method, const std::function<void(sdbus::MethodCall&)>& arguments);

    // bluetoothd leaves the bus (a restart), and comes back.
    void leave();
    void come_back();

private:
    void on_register_application(const sdbus::ObjectPath& path);
    void on_register_advertisement(const sdbus::ObjectPath& path);
    void on_properties_changed(sdbus::Message& message);
    // An Agent1 call on `bus` (timeout 0: sd-bus's default).
    GattAnswer call_agent_on(sdbus::IConnection& bus, const std::string& method,
                             const std::function<void(sdbus::MethodCall&)>& arguments,
                             std::chrono::microseconds timeout);
    GattAnswer call(const std::string& uuid, const std::string& method,
                    const std::function<void(sdbus::MethodCall&)>& arguments, bool returns_value);

    std::string address_;
    std::string adapter_path_;
    std::unique_ptr<sdbus::IConnection> service_bus_;  // owns org.bluez; its loop on a thread of its own
    std::unique_ptr<sdbus::IConnection> signal_bus_;   // PropertiesChanged; its loop on a thread of its own
    std::unique_ptr<sdbus::IConnection> call_bus_;     // blocking calls only, under call_mutex_
    std::unique_ptr<sdbus::IObject> adapter_;
    std::unique_ptr<sdbus::IObject> agent_manager_;
    sdbus::Slot signal_match_;
    std::mutex call_mutex_;

    mutable std::mutex mutex_;
    std::condition_variable changed_;
    std::string app_owner_;
    ManagedObjects tree_;
    std::map<std::string, sdbus::Variant> advertisement_;
    int application_registrations_ = 0;
    int advertisement_registrations_ = 0;
    std::string agent_owner_, agent_path_, agent_capability_;
    bool default_agent_ = false;
    std::map<std::string, std::vector<std::vector<std::uint8_t>>> values_by_path_;
};

}  // namespace lampi::testing
