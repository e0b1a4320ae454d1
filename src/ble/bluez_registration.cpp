#include "bluez_registration.h"

#include <fmt/format.h>

#include "lampi/log.h"
#include "pairing_agent.h"

namespace lampi::ble {
namespace {

constexpr const char* kBluez = "org.bluez";
constexpr const char* kAgentManager = "org.bluez.AgentManager1";

}  // namespace

BluezRegistration::BluezRegistration(sdbus::IConnection& bus, std::string adapter_path, std::string application_path,
                                     std::string advertisement_path, std::string agent_path)
    : bus_(bus),
      adapter_path_(std::move(adapter_path)),
      application_path_(std::move(application_path)),
      advertisement_path_(std::move(advertisement_path)),
      agent_path_(std::move(agent_path)) {}

void BluezRegistration::start() {
    adapter_ = sdbus::createProxy(bus_, kBluez, adapter_path_);
    adapter_->finishRegistration();
    agent_manager_ = sdbus::createProxy(bus_, kBluez, "/org/bluez");
    agent_manager_->finishRegistration();
    bus_daemon_ = sdbus::createProxy(bus_, "org.freedesktop.DBus", "/org/freedesktop/DBus");
    bus_daemon_->uponSignal("NameOwnerChanged")
        .onInterface("org.freedesktop.DBus")
        .call([this](const std::string& name, const std::string& /*old_owner*/, const std::string& new_owner) {
            if (name != kBluez) return;
            application_registered_ = advertisement_registered_ = agent_registered_ = false;
            if (new_owner.empty()) {
                log::warn("bluetoothd left the bus; registering again when it is back");
                return;
            }
            log::info("bluetoothd is on the bus: registering the LAMPi service");
            register_all();
        });
    bus_daemon_->finishRegistration();
    register_all();
}

void BluezRegistration::register_all() {
    register_with("RegisterApplication", "org.bluez.GattManager1", application_path_, application_registered_,
                  "the GATT service", "; waiting for bluetoothd",
                  fmt::format("the LAMPi GATT service is registered on {}", adapter_path_));
    register_with("RegisterAdvertisement", "org.bluez.LEAdvertisingManager1", advertisement_path_,
                  advertisement_registered_, "the advertisement", "",
                  fmt::format("advertising the LAMPi service on {}", adapter_path_));
    register_agent();
}

void BluezRegistration::register_agent() {
    agent_manager_->callMethodAsync("RegisterAgent")
        .onInterface(kAgentManager)
        .withArguments(sdbus::ObjectPath(agent_path_), std::string(kAgentCapability))
        .uponReplyInvoke([this](const sdbus::Error* error) {
            if (error) {
                log::warn("BlueZ did not take the pairing agent: {} ({}); phones cannot pair", error->getMessage(),
                          error->getName());
                return;
            }
            agent_manager_->callMethodAsync("RequestDefaultAgent")
                .onInterface(kAgentManager)
                .withArguments(sdbus::ObjectPath(agent_path_))
                .uponReplyInvoke([this](const sdbus::Error* error) {
                    agent_registered_ = error == nullptr;
                    if (error)
                        log::warn("BlueZ did not make ours the default pairing agent: {} ({})", error->getMessage(),
                                  error->getName());
                    else
                        log::info("pairing agent registered ({}): pairing is confirmed on the lamp's screen",
                                  kAgentCapability);
                });
        });
}

void BluezRegistration::register_with(const char* method, const char* interface, const std::string& object_path,
                                      bool& registered, std::string_view what, std::string_view refusal_note,
                                      std::string taken) {
    const std::map<std::string, sdbus::Variant> no_options;
    adapter_->callMethodAsync(method)
        .onInterface(interface)
        .withArguments(sdbus::ObjectPath(object_path), no_options)
        .uponReplyInvoke([this, &registered, what, refusal_note, taken = std::move(taken)](const sdbus::Error* error) {
            registered = error == nullptr;
            if (error)
                log::warn("BlueZ did not take {} on {}: {} ({}){}", what, adapter_path_, error->getMessage(),
                          error->getName(), refusal_note);
            else log::info("{}", taken);
        });
}

}  // namespace lampi::ble
