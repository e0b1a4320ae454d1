#include "link_relay.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>
#include <memory>
#include <random>
#include <vector>

namespace lampi::testing {
namespace {

using Clock = std::chrono::steady_clock;

struct Chunk {
    Clock::time_point due;
    std::string bytes;
    std::size_t written = 0;
};

// One direction of a relayed connection: what was read from `from`, waiting to be written to `to`.
struct Direction {
    int from = -1;
    int to = -1;
    std::deque<Chunk> queue;
    Clock::time_point last_due{};
    bool reading = true;  // `from` has not ended yet
    bool shut = false;    // `to` was told the end
};

struct Connection {
    Direction up, down;
    bool done() const { return up.shut && down.shut; }
};

sockaddr_in address_of(const std::string& host, int port) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port));
    ::inet_pton(AF_INET, host.c_str(), &address.sin_addr);
    return address;
}

void set_nonblocking(int fd) { ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK); }

void no_delay(int fd) {
    int on = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
}

}  // namespace

LinkRelay::LinkRelay(std::string netns, std::string listen_address, int listen_port, std::string target_address,
                     int target_port, LinkImpairment impairment)
    : netns_(std::move(netns)),
      listen_address_(std::move(listen_address)),
      target_address_(std::move(target_address)),
      listen_port_(listen_port),
      target_port_(target_port),
      impairment_(impairment),
      thread_([this] { run(); }) {}

LinkRelay::~LinkRelay() {
    stop_ = true;
    thread_.join();
}

std::string LinkRelay::wait_listening() {
    while (state_ == 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    return state_ == 1 ? "" : error_;
}

void LinkRelay::run() {
    auto fail = [this](const std::string& what) {
        error_ = what + ": " + std::strerror(errno);
        state_ = -1;
    };
    // A namespace is a property of the thread: this one enters it, and every
    // socket it makes belongs there for good.
    int ns = ::open(("/run/netns/" + netns_).c_str(), O_RDONLY | O_CLOEXEC);
    if (ns < 0 || ::setns(ns, CLONE_NEWNET) != 0) return fail("cannot enter network namespace " + netns_);
    ::close(ns);
    int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    int on = 1;
    ::setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    sockaddr_in listen_at = address_of(listen_address_, listen_port_);
    if (::bind(listener, reinterpret_cast<sockaddr*>(&listen_at), sizeof listen_at) != 0 ||
        ::listen(listener, 16) != 0) {
        fail("cannot listen on " + listen_address_ + ":" + std::to_string(listen_port_));
        ::close(listener);
        return;
    }
    state_ = 1;

    std::mt19937 random(20261130);  // the same losses every run
    std::bernoulli_distribution lost(impairment_.loss);
    std::vector<std::unique_ptr<Connection>> connections;
    char buffer[16384];
    while (!stop_) {
        std::vector<pollfd> fds{{listener, POLLIN, 0}};
        std::vector<Direction*> owners{nullptr};
        auto now = Clock::now();
        auto wake = now + std::chrono::milliseconds(50);
        for (auto& c : connections) {
            for (Direction* d : {&c->up, &c->down}) {
                short events = d->reading ? POLLIN : 0;
                if (!d->queue.empty()) {
                    if (d->queue.front().due <= now) {
                        events |= POLLOUT;
                    } else {
                        wake = std::min(wake, d->queue.front().due);
                    }
                }
                // Reading and writing are on different sockets: one entry each.
                fds.push_back({d->from, static_cast<short>(events & POLLIN), 0});
                owners.push_back(d);
                fds.push_back({d->to, static_cast<short>(events & POLLOUT), 0});
                owners.push_back(d);
            }
        }
        int timeout = static_cast<int>(
            std::max<long>(0, std::chrono::duration_cast<std::chrono::milliseconds>(wake - now).count()));
        if (::poll(fds.data(), fds.size(), timeout) < 0 && errno != EINTR) break;
        now = Clock::now();

        if (fds[0].revents & POLLIN) {
            int client = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
            int server = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
            sockaddr_in target = address_of(target_address_, target_port_);
            if (client >= 0 && server >= 0 &&
                ::connect(server, reinterpret_cast<sockaddr*>(&target), sizeof target) == 0) {
                for (int fd : {client, server}) {
                    set_nonblocking(fd);
                    no_delay(fd);
                }
                auto c = std::make_unique<Connection>();
                c->up.from = c->down.to = client;
                c->up.to = c->down.from = server;
                connections.push_back(std::move(c));
            } else {
                if (client >= 0) ::close(client);
                if (server >= 0) ::close(server);
            }
        }
        for (std::size_t i = 1; i < fds.size(); ++i) {
            Direction& d = *owners[i];
            if (fds[i].fd == d.from && (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) && d.reading) {
                ssize_t n = ::read(d.from, buffer, sizeof buffer);
                if (n > 0) {
                    auto due = now + impairment_.delay;
                    if (lost(random)) {
                        due += impairment_.retransmit;
                        ++lost_;
                    }
                    // Never before what was read earlier: TCP delivers in order.
                    due = std::max(due, d.last_due);
                    d.last_due = due;
                    d.queue.push_back(Chunk{due, std::string(buffer, static_cast<std::size_t>(n))});
                    ++relayed_;
                } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
                    d.reading = false;
                }
            }
            if (fds[i].fd == d.to && (fds[i].revents & (POLLOUT | POLLERR | POLLHUP))) {
                while (!d.queue.empty() && d.queue.front().due <= now) {
                    Chunk& chunk = d.queue.front();
                    ssize_t n = ::send(d.to, chunk.bytes.data() + chunk.written, chunk.bytes.size() - chunk.written,
                                       MSG_NOSIGNAL);
                    if (n < 0) {
                        if (errno != EAGAIN) {
                            d.queue.clear();
                            d.reading = false;
                        }
                        break;
                    }
                    chunk.written += static_cast<std::size_t>(n);
                    if (chunk.written < chunk.bytes.size()) break;
                    d.queue.pop_front();
                }
            }
        }
        for (auto& c : connections) {
            for (Direction* d : {&c->up, &c->down}) {
                if (!d->reading && d->queue.empty() && !d->shut) {
                    ::shutdown(d->to, SHUT_WR);
                    d->shut = true;
                }
            }
        }
        std::erase_if(connections, [](const std::unique_ptr<Connection>& c) {
            if (!c->done()) return false;
            ::close(c->up.from);
            ::close(c->up.to);
            return true;
        });
    }
    for (auto& c : connections) {
        ::close(c->up.from);
        ::close(c->up.to);
    }
    ::close(listener);
}

}  // namespace lampi::testing
