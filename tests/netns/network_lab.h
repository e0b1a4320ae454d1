// Test support: hosts of their own on one machine. Each host is a network
// namespace with one interface, cabled to a Linux bridge that lives in a
// namespace of its own, so every address exists only inside the lab. Names
// resolve through a hosts file per namespace (/etc/netns/<ns>/hosts, which
// `ip netns exec` mounts over /etc/hosts). A link is cut by taking the bridge's
// end of its cable down. Needs root and `ip` (iproute2).
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "process.h"

namespace lampi::testing {

class NetworkLab {
public:
    // Empty when namespaces can be made here, else why not (for GTEST_SKIP).
    static std::string unavailable();

    // `tag` keeps two labs on one machine apart (a process id will do).
    explicit NetworkLab(std::string tag);
    ~NetworkLab();
    NetworkLab(const NetworkLab&) = delete;
    NetworkLab& operator=(const NetworkLab&) = delete;

    // Empty on success, else what failed. `address` is an IPv4 address of the
    // lab's /24; every host's hosts file maps `names` (address, name pairs).
    std::string add_host(const std::string& host, const std::string& address);
    std::string set_names(const std::vector<std::pair<std::string, std::string>>& names);
    // The same for one host: another answer for a name there alone.
    std::string set_names_of(const std::string& host, const std::vector<std::pair<std::string, std::string>>& names);
    // A second address on the host's interface (a relay's, say).
    std::string add_address(const std::string& host, const std::string& address);

    std::string namespace_of(const std::string& host) const;
    // Runs a program inside the host's namespace, with its hosts file.
    RunResult run_in(const std::string& host, std::vector<std::string> argv,
                     std::chrono::milliseconds timeout = std::chrono::seconds(30)) const;
    // Takes the bridge's end of the host's cable down or up again.
    std::string set_link(const std::string& host, bool up) const;

private:
    std::string switch_namespace() const;
    std::string cable_end(const std::string& host) const;

    std::string tag_;
    std::vector<std::string> hosts_;
    bool switch_made_ = false;
};

}  // namespace lampi::testing
