// ClientDriver: the part every MQTT scenario shares on one worker thread.
//
// It owns this worker's sessions, starts their connections on a ramp (spread over
// the source addresses), times connects, counts failures with a reason a person
// can act on, and knows when all of its sessions are closed. A scenario derives
// from it and fills in what its clients do once connected.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "mqtt/client_options.h"
#include "mqtt/session.h"
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
    void on_disconnect(Session& session, int rc) override;

protected:
    // Adds a client; `global_index` picks its source address. Call from the constructor or start().
    Session& add_session(std::string client_id, std::size_t global_index);
    // Hooks for scenarios.
    virtual Status prepare(Session& /*session*/) { return Status::ok(); }
    virtual void connected(Session& session) = 0;
    virtual void closed(Session& /*session*/, int /*rc*/) {}
    virtual void run_tick(std::int64_t /*now*/) {}
    virtual void stopping() {}
    // Disconnects every open session (after `before` for each, e.g. an offline message).
    void disconnect_all();
    bool all_started() const { return next_to_connect_ == sessions_.size(); }

    Worker* worker_ = nullptr;
    ClientOptions options_;
    std::vector<std::unique_ptr<Session>> sessions_;
    bool stopping_ = false;

private:
    void connect_due(std::int64_t now);
    void fail(Session& session, const std::string& reason);

    Pacer connect_pacer_;
    std::int64_t connect_timeout_ns_;
    std::vector<std::size_t> global_index_;
    std::size_t next_to_connect_ = 0;
    std::size_t closed_ = 0;
    std::size_t connecting_ = 0;
    std::int64_t next_timeout_scan_ = 0;
};

}  // namespace lampi::load
