// SlowSite: a small real HTTP/1.1 server on loopback whose answers slow down as
// load grows: each response waits `ms_per_connection` for every connection open
// at the time beyond the first `free_connections`, so N users each on one
// kept-alive connection see about (N - free) times that. The ramp tests use it
// as a target with a knee they can compute; with free connections the knee is a
// cliff, far from any condition on either side, whatever the machine's load.
//
// One thread accepts, one thread per connection answers GETs in order (no
// bodies are read); the destructor shuts every socket and joins them all.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace lampi::testing {

class SlowSite {
public:
    explicit SlowSite(int ms_per_connection, int free_connections = 0)
        : ms_per_connection_(ms_per_connection), free_connections_(free_connections) {
        listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        int one = 1;
        ::setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t length = sizeof address;
        if (::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
            ::listen(listener_, 512) != 0 ||
            ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length) != 0)
            throw std::runtime_error("SlowSite: cannot listen on 127.0.0.1");
        port_ = ntohs(address.sin_port);
        acceptor_ = std::thread([this] { accept_loop(); });
    }

    ~SlowSite() {
        stopping_ = true;
        ::shutdown(listener_, SHUT_RDWR);
        acceptor_.join();
        {
            std::lock_guard lock(mutex_);
            for (int fd : sockets_) ::shutdown(fd, SHUT_RDWR);
        }
        for (auto& t : connections_) t.join();
        for (int fd : sockets_) ::close(fd);
        ::close(listener_);
    }

    int port() const { return port_; }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
    int most_connections() const { return most_; }
    int open_connections() const { return open_; }

private:
    void accept_loop() {
        while (!stopping_) {
            int fd = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
            if (fd < 0) {
                if (stopping_) return;
                continue;
            }
            std::lock_guard lock(mutex_);
            sockets_.push_back(fd);
            connections_.emplace_back([this, fd] { serve(fd); });
        }
    }

    void serve(int fd) {
        int now_open = ++open_;
        for (int seen = most_.load(); now_open > seen && !most_.compare_exchange_weak(seen, now_open);) {
        }
        std::string pending;
        char buffer[4096];
        while (!stopping_) {
            std::size_t end = pending.find("\r\n\r\n");
            if (end == std::string::npos) {
                ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
                if (n <= 0) break;
                pending.append(buffer, static_cast<std::size_t>(n));
                continue;
            }
            pending.erase(0, end + 4);
            int slowing = std::max(0, open_.load() - free_connections_);
            std::this_thread::sleep_for(std::chrono::milliseconds(ms_per_connection_ * slowing));
            static const std::string kAnswer =
                "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok";
            if (::send(fd, kAnswer.data(), kAnswer.size(), MSG_NOSIGNAL) < 0) break;
        }
        --open_;
    }

    int ms_per_connection_;
    int free_connections_;
    int listener_ = -1;
    int port_ = 0;
    std::atomic<bool> stopping_{false};
    std::atomic<int> open_{0};
    std::atomic<int> most_{0};
    std::thread acceptor_;
    std::mutex mutex_;
    std::vector<int> sockets_;
    std::vector<std::thread> connections_;
};

}  // namespace lampi::testing
