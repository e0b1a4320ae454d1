// A TCP relay on loopback between a program under test and a server, that a test
// can cut: a network break between that one program and a server that stays up.
// cut() closes every relayed connection at once (both ends see it go) and closes
// new ones as soon as they are accepted, until restore(). slow_past() makes it a
// link that congests past a number of connections: a knee a ramp test can compute.
#pragma once

#include <atomic>
#include <chrono>
#include <thread>

namespace lampi::testing {

class TcpProxy {
public:
    // Listens on a free loopback port and relays to 127.0.0.1:`target_port`.
    explicit TcpProxy(int target_port);
    ~TcpProxy();
    TcpProxy(const TcpProxy&) = delete;
    TcpProxy& operator=(const TcpProxy&) = delete;

    int port() const { return port_; }
    void cut();
    void restore();
    // While more than `connections` are relayed, every relay of data waits `delay`
    // first (all connections at once, as on a congested link).
    void slow_past(int connections, std::chrono::milliseconds delay);
    // The most connections relayed at once so far.
    int most_connections() const { return most_connections_; }

private:
    void relay();
    void wake();

    int target_port_;
    int port_ = 0;
    int listener_ = -1;
    int wake_[2] = {-1, -1};
    std::atomic<bool> cut_{false};
    std::atomic<bool> stop_{false};
    std::atomic<int> slow_past_{-1};
    std::atomic<std::chrono::milliseconds::rep> slow_delay_ms_{0};
    std::atomic<int> most_connections_{0};
    std::thread thread_;
};

}  // namespace lampi::testing
