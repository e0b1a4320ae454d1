#include "mqtt/worker.h"

#include <sys/epoll.h>
#include <unistd.h>

#include <csignal>

#include <array>

#include "lampi/log.h"
#include "run/clock.h"

namespace lampi::load {
namespace {

constexpr std::int64_t kSecond = 1'000'000'000;
constexpr int kTickMs = 1;

}  // namespace

Worker::Worker(int index, Metrics& metrics) : index_(index), metrics_(metrics) {
    epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
}

Worker::~Worker() {
    if (epoll_fd_ >= 0) ::close(epoll_fd_);
}

void Worker::watch(Connection& connection) {
    if (!connection.tracked) {
        connection.tracked = true;
        connections_.push_back(&connection);
    }
    update_interest(connection);
}

void Worker::touch(Connection& connection) {
    if (connection.dirty) return;
    connection.dirty = true;
    dirty_.push_back(&connection);
}

void Worker::update_interest(Connection& connection) {
    int fd = connection.socket();
    if (fd < 0) return;  // closed; the connection forgot its registration then
    bool want_write = connection.wants_write();
    epoll_event ev{};
    ev.events = EPOLLIN | (want_write ? EPOLLOUT : 0u);
    ev.data.ptr = &connection;
    if (connection.registered_fd != fd) {
        if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
            metrics_.error("epoll_ctl ADD failed (too many open files?)");
            return;
        }
        connection.registered_fd = fd;
        connection.write_armed = want_write;
    } else if (connection.write_armed != want_write) {
        epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd, &ev);
        connection.write_armed = want_write;
    }
}

void Worker::run(Driver& driver, const std::atomic<bool>& stop, std::int64_t hard_deadline_ns) {
    if (epoll_fd_ < 0) {
        metrics_.error("epoll_create1 failed: raise the file-descriptor limit (ulimit -n)");
        return;
    }
    // A write to a connection the broker already closed raises SIGPIPE in the
    // writing thread; blocked here, the write just fails with EPIPE (TLS writes
    // cannot pass MSG_NOSIGNAL).
    sigset_t pipe;
    sigemptyset(&pipe);
    sigaddset(&pipe, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe, nullptr);
    driver.start(*this);
    bool stopping = false;
    std::int64_t next_housekeeping = now_ns() + kSecond;
    std::array<epoll_event, 512> events;
    while (true) {
        if (!stopping && stop.load(std::memory_order_relaxed)) {
            stopping = true;
            driver.stop(*this);
        }
        if (driver.finished() || now_ns() >= hard_deadline_ns) break;

        int n = epoll_wait(epoll_fd_, events.data(), static_cast<int>(events.size()), kTickMs);
        for (int i = 0; i < n; ++i) {
            auto* connection = static_cast<Connection*>(events[static_cast<std::size_t>(i)].data.ptr);
            std::uint32_t what = events[static_cast<std::size_t>(i)].events;
            if (what & (EPOLLIN | EPOLLERR | EPOLLHUP)) connection->read();
            if ((what & EPOLLOUT) && connection->socket() >= 0) connection->write();
            touch(*connection);
        }
        std::int64_t now = now_ns();
        driver.tick(*this, now);
        if (now >= next_housekeeping) {
            for (Connection* s : connections_) {
                if (s->socket() >= 0) {
                    s->housekeeping(now);
                    touch(*s);
                }
            }
            next_housekeeping = now + kSecond;
        }
        // Everything queued this turn goes out in one write per connection. By index:
        // callbacks run by a flush may touch further sessions.
        for (std::size_t i = 0; i < dirty_.size(); ++i) {
            Connection* s = dirty_[i];
            s->flush();
            update_interest(*s);
            s->dirty = false;
        }
        dirty_.clear();
    }
}

}  // namespace lampi::load
