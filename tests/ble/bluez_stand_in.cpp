#include "bluez_stand_in.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <thread>

namespace lampi::testing {
namespace {

using Clock = std::chrono::steady_clock;
using Options = std::map<std::string, sdbus::Variant>;

constexpr const char* kGattManager = "org.bluez.GattManager1";
constexpr const char* kAdvertisingManager = "org.bluez.LEAdvertisingManager1";
constexpr const char* kCharacteristic = "org.bluez.GattCharacteristic1";
constexpr const char* kAgentManager = "org.bluez.AgentManager1";

// What bluetoothd adds to every request's options.
Options central_options(std::uint16_t offset) {
    return {{"offset", sdbus::Variant(offset)},
            {"device", sdbus::Variant(sdbus::ObjectPath("/org/bluez/hci0/dev_00_11_22_33_44_55"))},
            {"mtu", sdbus::Variant(std::uint16_t{185})},
            {"link", sdbus::Variant(std::string("LE"))}};
}

}  // namespace

PrivateBus::PrivateBus(const TempDir& dir) {
    std::string socket = dir / "bus.socket";
    std::string config = dir / "bus.conf";
    std::ofstream(config) << "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\"\n"
                             " \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
                             "<busconfig><type>session</type><listen>unix:path="
                          << socket
                          << "</listen><auth>EXTERNAL</auth>"
                             "<policy context=\"default\"><allow send_destination=\"*\"/><allow own=\"*\"/>"
                             "<allow receive_sender=\"*\"/></policy></busconfig>\n";
    address_ = "unix:path=" + socket;
    daemon_ = std::make_unique<Process>(std::vector<std::string>{"/usr/bin/dbus-daemon", "--config-file=" + config,
                                                                 "--nofork", "--nopidfile"},
                                        dir / "dbus-daemon.log");
    daemon_->start();
    // Ready once the socket accepts a connection. A plain socket, not sd-bus:
    // libsystemd's bus object of a failed attempt is never freed.
    sockaddr_un where{};
    where.sun_family = AF_UNIX;
    std::snprintf(where.sun_path, sizeof where.sun_path, "%s", socket.c_str());
    for (auto until = Clock::now() + std::chrono::seconds(10); Clock::now() < until && daemon_->running();) {
        int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        bool accepted = ::connect(fd, reinterpret_cast<const sockaddr*>(&where), sizeof where) == 0;
        ::close(fd);
        if (accepted) {
            ready_ = true;
            return;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

BluezStandIn::BluezStandIn(const std::string& bus_address, std::string adapter_path)
    : address_(bus_address), adapter_path_(std::move(adapter_path)) {
    service_bus_ = sdbus::createSessionBusConnectionWithAddress(bus_address);
    signal_bus_ = sdbus::createSessionBusConnectionWithAddress(bus_address);
    call_bus_ = sdbus::createSessionBusConnectionWithAddress(bus_address);

    adapter_ = sdbus::createObject(*service_bus_, adapter_path_);
    // BlueZ's four adapter methods, one block each as bluetoothd offers them.
    adapter_->registerMethod("RegisterApplication")
        .onInterface(kGattManager)
        .implementedAs([this](const sdbus::ObjectPath& path, const Options&) { on_register_application(path); });
    adapter_->registerMethod("UnregisterApplication")
        .onInterface(kGattManager)
        .implementedAs([](const sdbus::ObjectPath&) {});
    adapter_->registerMethod("RegisterAdvertisement")
        .onInterface(kAdvertisingManager)
        .implementedAs([this](const sdbus::ObjectPath& path, const Options&) { on_register_advertisement(path); });
    adapter_->registerMethod("UnregisterAdvertisement")
        .onInterface(kAdvertisingManager)
        .implementedAs([](const sdbus::ObjectPath&) {});
    adapter_->finishRegistration();

    agent_manager_ = sdbus::createObject(*service_bus_, "/org/bluez");
    agent_manager_->registerMethod("RegisterAgent")
        .onInterface(kAgentManager)
        .implementedAs([this](const sdbus::ObjectPath& path, const std::string& capability) {
            std::lock_guard lock(mutex_);
            agent_owner_ = agent_manager_->getCurrentlyProcessedMessage()->getSender();
            agent_path_ = path;
            agent_capability_ = capability;
            default_agent_ = false;
        });
    agent_manager_->registerMethod("RequestDefaultAgent")
        .onInterface(kAgentManager)
        .implementedAs([this](const sdbus::ObjectPath& path) {
            std::lock_guard lock(mutex_);
            // As bluetoothd: only a registered agent of the same client can become the default.
            if (path != agent_path_ || agent_manager_->getCurrentlyProcessedMessage()->getSender() != agent_owner_)
                throw sdbus::Error("org.bluez.Error.DoesNotExist", "No such Agent");
            default_agent_ = true;
            changed_.notify_all();
        });
    agent_manager_->registerMethod("UnregisterAgent")
        .onInterface(kAgentManager)
        .implementedAs([](const sdbus::ObjectPath&) {});
    agent_manager_->finishRegistration();

    signal_match_ =
        signal_bus_->addMatch("type='signal',interface='org.freedesktop.DBus.Properties',member='PropertiesChanged'",
                              [this](sdbus::Message& message) { on_properties_changed(message); });
    signal_bus_->enterEventLoopAsync();
    service_bus_->enterEventLoopAsync();
    service_bus_->requestName("org.bluez");
}

BluezStandIn::~BluezStandIn() {
    service_bus_->leaveEventLoop();
    signal_bus_->leaveEventLoop();
}

void BluezStandIn::on_register_application(const sdbus::ObjectPath& path) {
    std::string owner = adapter_->getCurrentlyProcessedMessage()->getSender();
    // As bluetoothd: read the application before answering (the caller must not block on this call).
    ManagedObjects tree;
    {
        std::lock_guard call_lock(call_mutex_);
        auto app = sdbus::createProxy(*call_bus_, owner, path);
        app->callMethod("GetManagedObjects").onInterface("org.freedesktop.DBus.ObjectManager").storeResultsTo(tree);
    }
    bool has_service = false;
    for (const auto& [object, interfaces] : tree)
        if (interfaces.count("org.bluez.GattService1")) has_service = true;
    if (!has_service) throw sdbus::Error("org.bluez.Error.Failed", "no GATT service in the application");
    std::lock_guard lock(mutex_);
    app_owner_ = owner;
    tree_ = std::move(tree);
    ++application_registrations_;
    changed_.notify_all();
}

void BluezStandIn::on_register_advertisement(const sdbus::ObjectPath& path) {
    std::string owner = adapter_->getCurrentlyProcessedMessage()->getSender();
    Options properties;
    {
        std::lock_guard call_lock(call_mutex_);
        auto advert = sdbus::createProxy(*call_bus_, owner, path);
        advert->callMethod("GetAll")
            .onInterface("org.freedesktop.DBus.Properties")
            .withArguments(std::string("org.bluez.LEAdvertisement1"))
            .storeResultsTo(properties);
    }
    std::lock_guard lock(mutex_);
    advertisement_ = std::move(properties);
    ++advertisement_registrations_;
    changed_.notify_all();
}

void BluezStandIn::on_properties_changed(sdbus::Message& message) {
    std::string interface;
    Options changed;
    message >> interface >> changed;
    if (interface != kCharacteristic) return;
    auto value = changed.find("Value");
    if (value == changed.end()) return;
    std::lock_guard lock(mutex_);
    values_by_path_[message.getPath()].push_back(value->second.get<std::vector<std::uint8_t>>());
    changed_.notify_all();
}

bool BluezStandIn::wait_registered(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout,
                             [&] { return application_registrations_ > 0 && advertisement_registrations_ > 0; });
}

int BluezStandIn::application_registrations() const {
    std::lock_guard lock(mutex_);
    return application_registrations_;
}

ManagedObjects BluezStandIn::application_tree() const {
    std::lock_guard lock(mutex_);
    return tree_;
}

std::map<std::string, sdbus::Variant> BluezStandIn::advertisement() const {
    std::lock_guard lock(mutex_);
    return advertisement_;
}

std::string BluezStandIn::characteristic(const std::string& uuid) const {
    std::lock_guard lock(mutex_);
    for (const auto& [path, interfaces] : tree_) {
        auto chrc = interfaces.find(kCharacteristic);
        if (chrc == interfaces.end()) continue;
        auto id = chrc->second.find("UUID");
        if (id != chrc->second.end() && id->second.get<std::string>() == uuid) return path;
    }
    return "";
}

GattAnswer BluezStandIn::call(const std::string& uuid, const std::string& method,
                              const std::function<void(sdbus::MethodCall&)>& arguments, bool returns_value) {
    GattAnswer answer;
    std::string path = characteristic(uuid);
    if (path.empty()) {
        answer.error_name = "test.NoSuchCharacteristic";
        return answer;
    }
    std::string owner;
    {
        std::lock_guard lock(mutex_);
        owner = app_owner_;
    }
    std::lock_guard call_lock(call_mutex_);
    try {
        auto proxy = sdbus::createProxy(*call_bus_, owner, path);
        auto call = proxy->createMethodCall(kCharacteristic, method);
        arguments(call);
        auto reply = proxy->callMethod(call);
        if (returns_value) reply >> answer.value;
    } catch (const sdbus::Error& e) {
        answer.error_name = e.getName();
        answer.error_message = e.getMessage();
    }
    return answer;
}

GattAnswer BluezStandIn::read(const std::string& uuid, std::uint16_t offset) {
    return call(
        uuid, "ReadValue", [&](sdbus::MethodCall& c) { c << central_options(offset); }, true);
}

GattAnswer BluezStandIn::write(const std::string& uuid, const std::vector<std::uint8_t>& value, std::uint16_t offset) {
    Options options = central_options(offset);
    options.emplace("type", sdbus::Variant(std::string("request")));
    return write_with_options(uuid, value, options);
}

GattAnswer BluezStandIn::write_with_options(const std::string& uuid, const std::vector<std::uint8_t>& value,
                                            const std::map<std::string, sdbus::Variant>& options) {
    return call(
        uuid, "WriteValue", [&](sdbus::MethodCall& c) { c << value << options; }, false);
}

GattAnswer BluezStandIn::start_notify(const std::string& uuid) {
    return call(
        uuid, "StartNotify", [](sdbus::MethodCall&) {}, false);
}

GattAnswer BluezStandIn::stop_notify(const std::string& uuid) {
    return call(
        uuid, "StopNotify", [](sdbus::MethodCall&) {}, false);
}

std::vector<std::vector<std::uint8_t>> BluezStandIn::notifications(const std::string& uuid) const {
    std::string path = characteristic(uuid);
    std::lock_guard lock(mutex_);
    auto it = values_by_path_.find(path);
    return it == values_by_path_.end() ? std::vector<std::vector<std::uint8_t>>{} : it->second;
}

bool BluezStandIn::wait_notification(const std::string& uuid,
                                     const std::function<bool(const std::vector<std::uint8_t>&)>& match,
                                     std::chrono::milliseconds timeout) {
    std::string path = characteristic(uuid);
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] {
        auto it = values_by_path_.find(path);
        if (it == values_by_path_.end()) return false;
        for (const auto& value : it->second)
            if (match(value)) return true;
        return false;
    });
}

bool BluezStandIn::wait_default_agent(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return default_agent_; });
}

std::string BluezStandIn::agent_capability() const {
    std::lock_guard lock(mutex_);
    return agent_capability_;
}

GattAnswer BluezStandIn::call_agent_on(sdbus::IConnection& bus, const std::string& method,
                                       const std::function<void(sdbus::MethodCall&)>& arguments,
                                       std::chrono::microseconds timeout) {
    GattAnswer answer;
    std::string owner, path;
    {
        std::lock_guard lock(mutex_);
        owner = agent_owner_;
        path = agent_path_;
    }
    if (owner.empty()) {
        answer.error_name = "test.NoAgent";
        return answer;
    }
    try {
        auto proxy = sdbus::createProxy(bus, owner, path);
        auto call = proxy->createMethodCall("org.bluez.Agent1", method);
        arguments(call);
        proxy->callMethod(call, static_cast<std::uint64_t>(timeout.count()));
    } catch (const sdbus::Error& e) {
        answer.error_name = e.getName();
        answer.error_message = e.getMessage();
    }
    return answer;
}

GattAnswer BluezStandIn::call_agent(const std::string& method,
                                    const std::function<void(sdbus::MethodCall&)>& arguments) {
    std::lock_guard call_lock(call_mutex_);
    return call_agent_on(*call_bus_, method, arguments, std::chrono::microseconds(0));
}

GattAnswer BluezStandIn::request_confirmation(const std::string& device, std::uint32_t passkey,
                                              std::chrono::milliseconds timeout) {
    // A connection of its own: the test calls Cancel while this one waits.
    auto bus = sdbus::createSessionBusConnectionWithAddress(address_);
    return call_agent_on(
        *bus, "RequestConfirmation", [&](sdbus::MethodCall& c) { c << sdbus::ObjectPath(device) << passkey; }, timeout);
}

void BluezStandIn::leave() { service_bus_->releaseName("org.bluez"); }

void BluezStandIn::come_back() { service_bus_->requestName("org.bluez"); }

}  // namespace lampi::testing
