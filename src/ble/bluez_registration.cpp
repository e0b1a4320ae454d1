#include "bluez_registration.h"

#include "lampi/log.h"

namespace lampi::ble {
namespace {

constexpr const char* kBluez = "org.bluez";

}  // namespace

BluezRegistration::BluezRegistration(sdbus::IConnection& bus, std::string adapter_path, std::string application_path,
                                     std::string advertisement_path)
    : bus_(bus),
      adapter_path_(std::move(adapter_path)),
      application_path_(std::move(application_path)),
      advertisement_path_(std::move(advertisement_path)) {}

void BluezRegistration::start() {
    adapter_ = sdbus::createProxy(bus_, kBluez, adapter_path_);
    adapter_->finishRegistration();
    bus_daemon_ = sdbus::createProxy(bus_, "org.freedesktop.DBus", "/org/freedesktop/DBus");
    bus_daemon_->uponSignal("NameOwnerChanged")
        .onInterface("org.freedesktop.DBus")
        .call([this](const std::string& name, const std::string& /*old_owner*/, const std::string& new_owner) {
            if (name != kBluez) return;
            application_registered_ = advertisement_registered_ = false;
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
    const std::map<std::string, sdbus::Variant> no_options;
    adapter_->callMethodAsync("RegisterApplication")
        .onInterface("org.bluez.GattManager1")
        .withArguments(sdbus::ObjectPath(application_path_), no_options)
        .uponReplyInvoke([this](const sdbus::Error* error) {
            application_registered_ = error == nullptr;
            if (error)
                log::warn("BlueZ did not take the GATT service on {}: {} ({}); waiting for bluetoothd", adapter_path_,
                          error->getMessage(), error->getName());
            else log::info("the LAMPi GATT service is registered on {}", adapter_path_);
        });
    adapter_->callMethodAsync("RegisterAdvertisement")
        .onInterface("org.bluez.LEAdvertisingManager1")
        .withArguments(sdbus::ObjectPath(advertisement_path_), no_options)
        .uponReplyInvoke([this](const sdbus::Error* error) {
            advertisement_registered_ = error == nullptr;
            if (error)
                log::warn("BlueZ did not take the advertisement on {}: {} ({})", adapter_path_, error->getMessage(),
                          error->getName());
            else log::info("advertising the LAMPi service on {}", adapter_path_);
        });
}

}  // namespace lampi::ble
