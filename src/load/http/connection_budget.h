// ConnectionBudget: more web users than the process may hold sockets. One
// worker's connections share at most `cap` sockets (open or connecting): a
// connection that needs one when all are taken takes the one idle longest (its
// user thinks; it is closed as a server's keep-alive timeout would close it),
// and waits for one when none is idle, the request's time running meanwhile as
// with a full connection pool. Waiting connections are let in by admit(), on the
// worker's tick, never from inside another connection's callbacks.
// Called on its worker's thread only.
#pragma once

#include <cstdint>
#include <list>

namespace lampi::load::http {

class HttpConnection;

class ConnectionBudget {
public:
    using Place = std::list<HttpConnection*>::iterator;

    explicit ConnectionBudget(std::int64_t cap) : cap_(cap) {}
    ConnectionBudget(const ConnectionBudget&) = delete;
    ConnectionBudget& operator=(const ConnectionBudget&) = delete;

    // A socket for `connection`: true when it may open one now; false when it waits (admit()).
    bool acquire(HttpConnection& connection);
    // Its socket is closed.
    void release() { --used_; }
    // Answered, its socket kept open: first to go when a socket is wanted, at once
    // when a request waits for one.
    void idle(HttpConnection& connection);
    // No longer idle (a new request, or closed) or waiting (closed, or destroyed).
    void forget(HttpConnection& connection);
    // Lets waiting connections open theirs, as far as sockets free up or idle ones can go.
    void admit();

private:
    // Frees a socket by closing the connection idle longest; false when none is idle.
    bool evict_idle();

    std::int64_t cap_;
    std::int64_t used_ = 0;
    std::list<HttpConnection*> idle_;     // oldest first
    std::list<HttpConnection*> waiting_;  // in the order they asked
};

}  // namespace lampi::load::http
