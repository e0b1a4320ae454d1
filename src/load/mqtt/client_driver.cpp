#include "mqtt/client_driver.h"

#include <fmt/core.h>
#include <mosquitto.h>

#include <cerrno>
#include <cstring>

#include "run/clock.h"

namespace lampi::load {
namespace {

std::string disconnect_reason(int rc) {
    if (rc == MOSQ_ERR_ERRNO) return std::strerror(errno);
    return mosquitto_strerror(rc);
}

}  // namespace

ClientDriver::ClientDriver(ClientOptions options, double connect_rate, double connect_timeout_s)
    : options_(std::move(options)),
      connect_pacer_(connect_rate, 5'000),
      connect_timeout_ns_(static_cast<std::int64_t>(connect_timeout_s * 1e9)) {}

Session& ClientDriver::add_session(std::string client_id, std::size_t global_index) {
    sessions_.push_back(std::make_unique<Session>(sessions_.size(), std::move(client_id), *this));
    global_index_.push_back(global_index);
    return *sessions_.back();
}

void ClientDriver::start(Worker& worker) { worker_ = &worker; }

void ClientDriver::fail(Session& session, const std::string& reason) {
    worker_->metrics().add(Counter::connect_failed);
    worker_->metrics().error(reason);
    ++closed_;
    closed(session, -1);
}

void ClientDriver::connect_due(std::int64_t now) {
    if (stopping_ || next_to_connect_ == sessions_.size()) return;
    std::uint64_t due = connect_pacer_.take(now);
    for (std::uint64_t n = 0; n < due && next_to_connect_ < sessions_.size(); ++n) {
        std::size_t i = next_to_connect_++;
        Session& s = *sessions_[i];
        worker_->metrics().add(Counter::connect_attempts);
        Status st = s.configure(options_);
        if (st) st = prepare(s);
        const auto& binds = options_.bind_addresses;
        if (st) st = s.start_connect(options_, binds.empty() ? std::string() : binds[global_index_[i] % binds.size()]);
        if (!st) {
            fail(s, st.message());
            continue;
        }
        ++connecting_;
        worker_->watch(s);
    }
}

void ClientDriver::tick(Worker&, std::int64_t now) {
    connect_due(now);
    if (connecting_ > 0 && now >= next_timeout_scan_) {
        next_timeout_scan_ = now + 100'000'000;
        for (auto& s : sessions_) {
            if (s->state() == Session::State::connecting && now - s->connect_started_ns() > connect_timeout_ns_) {
                // Not a refusal we heard about: the broker never answered.
                s->abort();
                --connecting_;
                fail(*s, fmt::format("no CONNACK from {}:{} within {:.0f} s: is it an MQTT broker, and is it overloaded?",
                                     options_.host, options_.port, static_cast<double>(connect_timeout_ns_) / 1e9));
            }
        }
    }
    run_tick(now);
}

void ClientDriver::stop(Worker&) {
    if (stopping_) return;
    stopping_ = true;
    // Sessions never started will not be: count them as done.
    closed_ += sessions_.size() - next_to_connect_;
    next_to_connect_ = sessions_.size();
    stopping();
    disconnect_all();
}

void ClientDriver::disconnect_all() {
    for (auto& s : sessions_) {
        if (s->state() == Session::State::connected || s->state() == Session::State::connecting) {
            s->disconnect();
            worker_->touch(*s);
        }
    }
}

bool ClientDriver::finished() const { return closed_ == sessions_.size(); }

void ClientDriver::on_connect(Session& session, int rc) {
    --connecting_;
    std::int64_t now = now_ns();
    if (rc != 0) {
        std::string hint = (rc == 4 || rc == 5) ? ": check --username/--password (or the client certificate)" : "";
        fail(session, fmt::format("the broker refused the connection: {}{}", connack_text(rc), hint));
        return;
    }
    worker_->metrics().add(Counter::connect_ok);
    worker_->metrics().record(Latency::connect, now - session.connect_started_ns());
    worker_->metrics().connection_opened();
    connected(session);
    worker_->touch(session);
}

void ClientDriver::on_disconnect(Session& session, int rc) {
    bool was_connected = session.was_connected();
    if (!was_connected) {
        --connecting_;
        fail(session, fmt::format("cannot connect to {}:{}: {}: is the broker running and listening there?",
                                  options_.host, options_.port, disconnect_reason(rc)));
        return;
    }
    worker_->metrics().connection_closed();
    ++closed_;
    if (rc != 0) {
        worker_->metrics().add(Counter::disconnects);
        worker_->metrics().error(fmt::format("connection lost: {}", disconnect_reason(rc)));
    }
    closed(session, rc);
}

}  // namespace lampi::load
