// Connection: what a Worker drives, whatever the protocol on top.
//
// The worker watches socket() in epoll and calls read()/write() on readiness,
// flush() once per loop turn for connections that queued output, and
// housekeeping() once a second. An MQTT Session and an HTTP user are both
// Connections, so both run on the same epoll loop. Everything is called on the
// owning worker's thread only.
#pragma once

#include <cstdint>

namespace lampi::load {

class Connection {
public:
    virtual ~Connection() = default;

    // The socket to watch, or -1 while closed.
    virtual int socket() const = 0;
    virtual bool wants_write() const = 0;
    virtual void read() = 0;
    virtual void write() = 0;
    // Writes what is queued if the connection is up; a no-op otherwise.
    virtual void flush() = 0;
    virtual void housekeeping(std::int64_t /*now*/) {}

    // Worker bookkeeping: the fd registered in epoll and whether EPOLLOUT is armed.
    // Whoever closes the socket resets registered_fd (closing took it out of epoll).
    int registered_fd = -1;
    bool write_armed = false;
    bool dirty = false;
    bool tracked = false;
};

}  // namespace lampi::load
