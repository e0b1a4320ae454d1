#include "tcp_proxy.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <stdexcept>
#include <vector>

namespace lampi::testing {
namespace {

sockaddr_in loopback(int port) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
}

// Writes all of `n` bytes; false when the peer is gone.
bool write_all(int fd, const char* data, ssize_t n) {
    while (n > 0) {
        ssize_t w = ::send(fd, data, static_cast<std::size_t>(n), MSG_NOSIGNAL);
        if (w <= 0) return false;
        data += w;
        n -= w;
    }
    return true;
}

}  // namespace

TcpProxy::TcpProxy(int target_port) : target_port_(target_port) {
    listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in any = loopback(0);
    socklen_t size = sizeof any;
    if (listener_ < 0 || ::bind(listener_, reinterpret_cast<sockaddr*>(&any), sizeof any) != 0 ||
        ::listen(listener_, 64) != 0 || ::getsockname(listener_, reinterpret_cast<sockaddr*>(&any), &size) != 0 ||
        ::pipe2(wake_, O_CLOEXEC) != 0)
        throw std::runtime_error("TcpProxy: cannot listen on loopback");
    port_ = ntohs(any.sin_port);
    thread_ = std::thread([this] { relay(); });
}

TcpProxy::~TcpProxy() {
    stop_ = true;
    wake();
    thread_.join();
    for (int fd : {listener_, wake_[0], wake_[1]}) ::close(fd);
}

void TcpProxy::wake() { (void)!::write(wake_[1], "x", 1); }

void TcpProxy::cut() {
    cut_ = true;
    wake();
}

void TcpProxy::restore() { cut_ = false; }

void TcpProxy::slow_past(int connections, std::chrono::milliseconds delay) {
    slow_delay_ms_ = delay.count();
    slow_past_ = connections;
}

void TcpProxy::relay() {
    std::map<int, int> peer;  // each relayed socket and the one it relays to
    auto close_pair = [&](int fd) {
        int other = peer[fd];
        peer.erase(fd);
        peer.erase(other);
        ::close(fd);
        ::close(other);
    };
    while (!stop_) {
        if (cut_) {
            while (!peer.empty()) close_pair(peer.begin()->first);
        }
        std::vector<pollfd> fds{{listener_, POLLIN, 0}, {wake_[0], POLLIN, 0}};
        for (const auto& [fd, other] : peer) fds.push_back({fd, POLLIN, 0});
        if (::poll(fds.data(), fds.size(), 200) <= 0) continue;
        if (fds[1].revents) {
            char drain[64];
            (void)!::read(wake_[0], drain, sizeof drain);
        }
        if (fds[0].revents & POLLIN) {
            int client = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
            if (client >= 0 && cut_) {
                ::close(client);
            } else if (client >= 0) {
                int server = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
                sockaddr_in target = loopback(target_port_);
                if (server < 0 || ::connect(server, reinterpret_cast<sockaddr*>(&target), sizeof target) != 0) {
                    ::close(client);
                    if (server >= 0) ::close(server);
                } else {
                    peer[client] = server;
                    peer[server] = client;
                    most_connections_ = std::max<int>(most_connections_, static_cast<int>(peer.size() / 2));
                }
            }
        }
        const int past = slow_past_;
        if (past >= 0 && static_cast<int>(peer.size() / 2) > past)
            std::this_thread::sleep_for(std::chrono::milliseconds(slow_delay_ms_.load()));
        for (std::size_t i = 2; i < fds.size(); ++i) {
            if (!fds[i].revents || !peer.count(fds[i].fd)) continue;
            char buffer[65536];
            ssize_t n = ::recv(fds[i].fd, buffer, sizeof buffer, 0);
            if (n <= 0 || !write_all(peer[fds[i].fd], buffer, n)) close_pair(fds[i].fd);
        }
    }
    while (!peer.empty()) close_pair(peer.begin()->first);
}

}  // namespace lampi::testing
