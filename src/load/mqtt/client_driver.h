// ClientDriver: the part every MQTT scenario shares on one worker thread.
//
// It owns this worker's sessions, starts their connections on a ramp (spread over
// the source addresses), times connects, counts failures with a reason a person
// can act on, re-establishes connections the broker dropped (with backoff,
// counting each reconnect and each failed attempt), and knows when all of its
// sessions are done. When sessions_wanted() goes down (the web UI asks for
// fewer clients), the newest sessions are let go, and started afresh when it
// goes up again. A scenario derives from it and fills in what its clients
// do once connected.
#pragma once

#include <memory>
#include <random>
#include <string>
#include <vector>

#include "mqtt/client_options.h"
#include "mqtt/session.h"
#include "mqtt/tls_context.h"
#include "mqtt/worker.h"
#include "run/pacing.h"

namespace lampi::load {

class ClientDriver : public Driver, public SessionHandler {
public:
    // `connect_rate` is this worker's share of new connections per second (0: all at once).
    ClientDriver(ClientOptions options, double connect_rate, double connect_timeout_s = 10);

    void start(Worker& worker) override;
    void tick(Worker& worker, std::int64_t now) override;
    void stop(Worker& worker) override;
    bool finished() const override;

    void on_connect(Session& session, int rc) override;
    void on_disconnect(Session& session, const Status& why) override;

protected:
    // Adds a client; `global_index` picks its source address. Call from the constructor or start().
    Session& add_session(std::string client_id, std::size_t global_index);
    // Hooks for scenarios.
    // Before every connection attempt (the first and each reconnect): a Will, a certificate.
    virtual Status prepare(Session& /*session*/) { return Status::ok(); }
    // The broker accepted the connection (again, after a reconnect).
    virtual void connected(Session& session) = 0;
    // The connection dropped and a reconnect is scheduled: what was in flight is gone.
    virtual void interrupted(Session& /*session*/) {}
    // Whether a dropped connection is worth re-establishing (false: its work is done).
    virtual bool wants_reconnect(const Session& /*session*/) const { return true; }
    // The session is done for good; `lost` when that was not our choice.
    virtual void closed(Session& /*session*/, bool /*lost*/) {}
    virtual void run_tick(std::int64_t /*now*/) {}
    // How many of this worker's sessions should have started by now (a ramp
    // starts them in steps); the rest wait, counted as done if the run stops.
    virtual std::size_t sessions_wanted() const { return sessions_.size(); }
    // The session is no longer wanted: end it on purpose (the default disconnects
    // at once); it is done once on_disconnect() reports it closed.
    virtual void let_go(Session& session) { session.disconnect(); }
    // A session let go is started again: forget what its last connection did.
    virtual void restarted(Session& /*session*/) {}
    virtual void stopping() {}
    // Disconnects every open session; sessions waiting to reconnect are done.
    void disconnect_all();
    bool all_started() const { return next_to_connect_ == sessions_.size(); }

    Worker* worker_ = nullptr;
    ClientOptions options_;
    std::vector<std::unique_ptr<Session>> sessions_;
    bool stopping_ = false;

private:
    // What the driver knows about one session beyond the session itself.
    struct Slot {
        std::size_t global_index = 0;
        bool ever_connected = false;
        bool retry_pending = false;
        std::int64_t retry_at = 0;
        std::int64_t backoff_ns = 0;
        std::int64_t down_since = 0;
        bool done = false;  // counted in closed_
    };

    Status attempt(Session& session);
    void connect_due(std::int64_t now);
    void retry_due(std::int64_t now);
    void expire_connects(std::int64_t now);
    // A connection attempt did not come up: retry a reconnecting session, fail a new one.
    void attempt_failed(Session& session, const std::string& reason);
    void schedule_retry(Session& session, std::int64_t now);
    void finish(Session& session, bool lost);
    void fail(Session& session, const std::string& reason);
    // Lets go of the newest started sessions until `wanted` remain.
    void let_go_down_to(std::size_t wanted);

    std::shared_ptr<TlsContext> tls_;
    Status tls_status_;
    Pacer connect_pacer_;
    std::int64_t connect_timeout_ns_;
    std::vector<Slot> slots_;
    std::size_t next_to_connect_ = 0;
    std::size_t started_once_ = 0;  // sessions below this were started at least once
    std::size_t closed_ = 0;
    std::size_t connecting_ = 0;
    std::size_t retries_pending_ = 0;
    std::int64_t next_timeout_scan_ = 0;
    std::int64_t next_retry_scan_ = 0;
    std::minstd_rand jitter_;
};

}  // namespace lampi::load
