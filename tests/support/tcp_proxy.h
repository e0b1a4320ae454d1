// A TCP relay on loopback between a program under test and a server, that a test
// can cut: a network break between that one program and a server that stays up.
// cut() closes every relayed connection at once (both ends see it go) and closes
// new ones as soon as they are accepted, until restore().
#pragma once

#include <atomic>
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

private:
    void relay();
    void wake();

    int target_port_;
    int port_ = 0;
    int listener_ = -1;
    int wake_[2] = {-1, -1};
    std::atomic<bool> cut_{false};
    std::atomic<bool> stop_{false};
    std::thread thread_;
};

}  // namespace lampi::testing
