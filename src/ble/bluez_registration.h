// BluezRegistration: keeps the GATT application and its advertisement
// registered with bluetoothd, and the pairing agent with it, (org.bluez on the bus) for as long as it runs:
// registers when org.bluez is there, and again each time it comes back after a
// restart (NameOwnerChanged). The calls are asynchronous: bluetoothd reads the
// application (GetManagedObjects) before it answers, so a blocking call would
// wait on itself.
#pragma once

#include <sdbus-c++/sdbus-c++.h>

#include <memory>
#include <string>
#include <string_view>

namespace lampi::ble {

class BluezRegistration {
public:
    BluezRegistration(sdbus::IConnection& bus, std::string adapter_path, std::string application_path,
                      std::string advertisement_path, std::string agent_path);
    // Tries now; failures are logged (bluetoothd absent, no adapter) and retried when org.bluez appears.
    void start();
    bool application_registered() const { return application_registered_; }
    bool advertisement_registered() const { return advertisement_registered_; }
    bool agent_registered() const { return agent_registered_; }

private:
    void register_all();
    // RegisterAgent, then RequestDefaultAgent: pairings a phone starts have no
    // agent of their own, so only the default agent is asked.
    void register_agent();
    // One asynchronous Register* call on the adapter; its answer sets `registered`.
    // `what` and `refusal_note` outlive the answer (string literals).
    void register_with(const char* method, const char* interface, const std::string& object_path, bool& registered,
                       std::string_view what, std::string_view refusal_note, std::string taken);

    sdbus::IConnection& bus_;
    std::string adapter_path_;
    std::string application_path_;
    std::string advertisement_path_;
    std::string agent_path_;
    std::unique_ptr<sdbus::IProxy> adapter_;
    std::unique_ptr<sdbus::IProxy> agent_manager_;
    std::unique_ptr<sdbus::IProxy> bus_daemon_;
    bool application_registered_ = false;
    bool advertisement_registered_ = false;
    bool agent_registered_ = false;
};

}  // namespace lampi::ble
