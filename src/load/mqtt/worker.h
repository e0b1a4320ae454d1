// Worker: one thread, one epoll set, a share of the run's connections.
//
// The worker never interprets a protocol itself: it turns socket readiness into
// Connection::read()/write() (an MQTT Session, an HTTP user), flushes every one that queued packets once per
// loop turn (so all a turn produced leaves in one write), calls housekeeping()
// (keepalive PINGREQs) once a second, and calls its Driver every tick (about
// 1 ms) so a scenario can start connections on a ramp and publish at a rate.
// Sessions are added by the Driver from the worker's own thread (in start() or
// tick()), so nothing here locks.
#pragma once

#include <atomic>
#include <cstdint>
#include <vector>

#include "lampi/status.h"
#include "run/connection.h"
#include "stats/metrics.h"

namespace lampi::load {

class Worker;

// The scenario's part on one worker thread.
class Driver {
public:
    virtual ~Driver() = default;
    virtual void start(Worker& worker) = 0;
    // Called every tick with the monotonic time; publish, connect, time out here.
    virtual void tick(Worker& worker, std::int64_t now) = 0;
    // Asked to wind down: stop new work, disconnect cleanly.
    virtual void stop(Worker& worker) = 0;
    // True once this driver has nothing more to do (the worker then returns).
    virtual bool finished() const = 0;
};

class Worker {
public:
    Worker(int index, Metrics& metrics);
    ~Worker();
    Worker(const Worker&) = delete;
    Worker& operator=(const Worker&) = delete;

    // Runs until the driver is finished, or `stop` is set and the driver then
    // finishes, or `hard_deadline_ns` (monotonic) passes, whichever comes first.
    void run(Driver& driver, const std::atomic<bool>& stop, std::int64_t hard_deadline_ns);

    // Puts a connection whose connect started under this worker's epoll.
    void watch(Connection& connection);
    // Call after queueing output outside a read/write (e.g. in tick): the
    // connection is flushed at the end of this loop turn.
    void touch(Connection& connection);

    int index() const { return index_; }
    Metrics& metrics() { return metrics_; }

private:
    void update_interest(Connection& connection);

    int index_;
    Metrics& metrics_;
    int epoll_fd_ = -1;
    std::vector<Connection*> connections_;
    std::vector<Connection*> dirty_;
};

}  // namespace lampi::load
