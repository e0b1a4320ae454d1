#include "network_lab.h"

#include <unistd.h>

#include <filesystem>

namespace lampi::testing {
namespace {

constexpr const char* kIp = "/usr/sbin/ip";

std::string failure(const RunResult& result, const std::string& what) {
    if (result.exit_code == 0) return "";
    return what + ": " + result.output + " (exit code " + std::to_string(result.exit_code) + ")";
}

std::string hosts_dir(const std::string& ns) { return "/etc/netns/" + ns; }

}  // namespace

std::string NetworkLab::unavailable() {
    if (::geteuid() != 0) return "network namespaces need root";
    if (!std::filesystem::exists(kIp)) return std::string(kIp) + " (iproute2) is not installed";
    std::string probe = "lampi-probe-" + std::to_string(::getpid());
    RunResult added = run({kIp, "netns", "add", probe});
    if (added.exit_code != 0) return "this kernel or container cannot make network namespaces: " + added.output;
    RunResult veth =
        run({kIp, "-n", probe, "link", "add", "name", "probe-a", "type", "veth", "peer", "name", "probe-b"});
    run({kIp, "netns", "del", probe});
    if (veth.exit_code != 0) return "no veth pairs here: " + veth.output;
    return "";
}

NetworkLab::NetworkLab(std::string tag) : tag_(std::move(tag)) {}

NetworkLab::~NetworkLab() {
    for (const std::string& host : hosts_) {
        run({kIp, "netns", "del", namespace_of(host)});
        std::error_code ec;
        std::filesystem::remove_all(hosts_dir(namespace_of(host)), ec);
    }
    if (switch_made_) run({kIp, "netns", "del", switch_namespace()});
}

std::string NetworkLab::switch_namespace() const { return "lampi-sw-" + tag_; }
std::string NetworkLab::namespace_of(const std::string& host) const { return "lampi-" + host + "-" + tag_; }
// In the switch's namespace, so its name only has to differ from the other cables'.
std::string NetworkLab::cable_end(const std::string& host) const { return "to-" + host; }

std::string NetworkLab::add_host(const std::string& host, const std::string& address) {
    if (!switch_made_) {
        if (auto e = failure(run({kIp, "netns", "add", switch_namespace()}), "switch namespace"); !e.empty()) return e;
        switch_made_ = true;
        if (auto e = failure(run({kIp, "-n", switch_namespace(), "link", "add", "br0", "type", "bridge"}), "bridge");
            !e.empty())
            return e;
        if (auto e = failure(run({kIp, "-n", switch_namespace(), "link", "set", "br0", "up"}), "bridge up"); !e.empty())
            return e;
    }
    std::string ns = namespace_of(host);
    if (auto e = failure(run({kIp, "netns", "add", ns}), "namespace " + ns); !e.empty()) return e;
    hosts_.push_back(host);
    std::vector<std::vector<std::string>> steps = {
        {kIp, "link", "add", "name", "eth0", "netns", ns, "type", "veth", "peer", "name", cable_end(host), "netns",
         switch_namespace()},
        {kIp, "-n", switch_namespace(), "link", "set", cable_end(host), "master", "br0", "up"},
        {kIp, "-n", ns, "link", "set", "lo", "up"},
        {kIp, "-n", ns, "addr", "add", address + "/24", "dev", "eth0"},
        // No duplicate address detection to wait for: IPv4 only, and at once.
        {kIp, "-n", ns, "link", "set", "eth0", "up"},
    };
    for (const auto& step : steps) {
        if (auto e = failure(run(step), "setting up " + host); !e.empty()) return e;
    }
    return "";
}

std::string NetworkLab::set_names(const std::vector<std::pair<std::string, std::string>>& names) {
    for (const std::string& host : hosts_) {
        if (auto e = set_names_of(host, names); !e.empty()) return e;
    }
    return "";
}

std::string NetworkLab::set_names_of(const std::string& host,
                                     const std::vector<std::pair<std::string, std::string>>& names) {
    std::string hosts = "127.0.0.1 localhost\n";
    for (const auto& [address, name] : names) hosts.append(address).append(" ").append(name).append("\n");
    std::error_code ec;
    std::filesystem::create_directories(hosts_dir(namespace_of(host)), ec);
    if (ec) return "cannot create " + hosts_dir(namespace_of(host)) + ": " + ec.message();
    // Rewritten in place: a program started earlier sees the file `ip netns exec` mounted for it.
    write_file(hosts_dir(namespace_of(host)) + "/hosts", hosts);
    return "";
}

std::string NetworkLab::add_address(const std::string& host, const std::string& address) {
    return failure(run({kIp, "-n", namespace_of(host), "addr", "add", address + "/24", "dev", "eth0"}),
                   "address " + address + " on " + host);
}

RunResult NetworkLab::run_in(const std::string& host, std::vector<std::string> argv,
                             std::chrono::milliseconds timeout) const {
    argv.insert(argv.begin(), {kIp, "netns", "exec", namespace_of(host)});
    return run(std::move(argv), timeout);
}

std::string NetworkLab::set_link(const std::string& host, bool up) const {
    return failure(run({kIp, "-n", switch_namespace(), "link", "set", cable_end(host), up ? "up" : "down"}),
                   "link of " + host);
}

}  // namespace lampi::testing
