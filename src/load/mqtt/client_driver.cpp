#include "mqtt/client_driver.h"

#include <fmt/core.h>

#include <algorithm>

#include "run/clock.h"

namespace lampi::load {
namespace {

constexpr std::int64_t kScanIntervalNs = 10'000'000;

std::int64_t seconds_to_ns(double s) { return static_cast<std::int64_t>(s * 1e9); }

}  // namespace

ClientDriver::ClientDriver(ClientOptions options, double connect_rate, double connect_timeout_s)
    : options_(std::move(options)),
      connect_pacer_(connect_rate, 5'000),
      connect_timeout_ns_(seconds_to_ns(connect_timeout_s)) {}

Session& ClientDriver::add_session(std::string client_id, std::size_t global_index) {
    sessions_.push_back(std::make_unique<Session>(sessions_.size(), std::move(client_id), *this));
    slots_.push_back(Slot{global_index});
    return *sessions_.back();
}

void ClientDriver::start(Worker& worker) {
    worker_ = &worker;
    jitter_.seed(static_cast<unsigned>(worker.index()) + 1);
    if (options_.tls) {
        auto tls = TlsContext::create(*options_.tls, !options_.tls_insecure);
        if (tls) tls_ = *tls;
        else tls_status_ = tls.status();
    }
}

void ClientDriver::fail(Session& session, const std::string& reason) {
    worker_->metrics().add(Counter::connect_failed);
    worker_->metrics().error(reason);
    finish(session, true);
}

void ClientDriver::finish(Session& session, bool lost) {
    Slot& slot = slots_[session.index()];
    if (slot.done) return;
    slot.done = true;
    if (slot.retry_pending) {
        slot.retry_pending = false;
        --retries_pending_;
    }
    ++closed_;
    closed(session, lost);
}

Status ClientDriver::attempt(Session& session) {
    if (!tls_status_) return tls_status_;
    session.configure(options_, tls_);
    if (Status st = prepare(session); !st) return st;
    const auto& binds = options_.bind_addresses;
    std::string bind = binds.empty() ? std::string() : binds[slots_[session.index()].global_index % binds.size()];
    if (Status st = session.start_connect(bind); !st) return st;
    ++connecting_;
    worker_->watch(session);
    return Status::ok();
}

void ClientDriver::connect_due(std::int64_t now) {
    std::size_t wanted = std::min(sessions_wanted(), sessions_.size());
    if (stopping_) return;
    if (wanted < next_to_connect_) let_go_down_to(wanted);
    if (next_to_connect_ >= wanted) return;
    std::uint64_t due = connect_pacer_.take(now);
    for (std::uint64_t n = 0; n < due && next_to_connect_ < wanted; ++n) {
        Session& s = *sessions_[next_to_connect_];
        Slot& slot = slots_[s.index()];
        if (next_to_connect_ < started_once_) {
            // Let go earlier: wait until its last connection has closed, then start it afresh.
            if (!slot.done) break;
            slot = Slot{slot.global_index};
            --closed_;
            restarted(s);
        }
        ++next_to_connect_;
        started_once_ = std::max(started_once_, next_to_connect_);
        worker_->metrics().add(Counter::connect_attempts);
        if (Status st = attempt(s); !st) fail(s, st.message());
    }
}

void ClientDriver::let_go_down_to(std::size_t wanted) {
    // The newest first, as a web run's users are let go.
    while (next_to_connect_ > wanted) {
        Session& s = *sessions_[--next_to_connect_];
        const Slot& slot = slots_[s.index()];
        if (slot.done) continue;
        if (slot.retry_pending) {
            finish(s, false);
        } else if (s.state() == Session::State::connected || s.state() == Session::State::connecting) {
            let_go(s);
            worker_->touch(s);
        }
    }
}

void ClientDriver::retry_due(std::int64_t now) {
    if (retries_pending_ == 0 || stopping_ || now < next_retry_scan_) return;
    next_retry_scan_ = now + kScanIntervalNs;
    for (auto& s : sessions_) {
        Slot& slot = slots_[s->index()];
        if (!slot.retry_pending || now < slot.retry_at) continue;
        slot.retry_pending = false;
        --retries_pending_;
        worker_->metrics().add(Counter::connect_attempts);
        if (Status st = attempt(*s); !st) attempt_failed(*s, st.message());
    }
}

void ClientDriver::expire_connects(std::int64_t now) {
    if (connecting_ == 0 || now < next_timeout_scan_) return;
    next_timeout_scan_ = now + 10 * kScanIntervalNs;
    for (auto& s : sessions_) {
        if (s->state() != Session::State::connecting || now - s->connect_started_ns() <= connect_timeout_ns_) continue;
        // Not a refusal we heard about: the broker never answered.
        s->abort();
        --connecting_;
        attempt_failed(*s, fmt::format("no CONNACK from {}:{} within {:.0f} s: is it an MQTT broker (TLS on a TLS "
                                       "port only), and is it overloaded?",
                                       options_.host, options_.port, static_cast<double>(connect_timeout_ns_) / 1e9));
    }
}

void ClientDriver::tick(Worker&, std::int64_t now) {
    connect_due(now);
    retry_due(now);
    expire_connects(now);
    run_tick(now);
}

void ClientDriver::attempt_failed(Session& session, const std::string& reason) {
    if (!slots_[session.index()].ever_connected) {
        fail(session, reason);
        return;
    }
    worker_->metrics().add(Counter::reconnect_failed);
    worker_->metrics().error("reconnect failed: " + reason);
    schedule_retry(session, now_ns());
}

void ClientDriver::schedule_retry(Session& session, std::int64_t now) {
    Slot& slot = slots_[session.index()];
    if (stopping_ || !options_.reconnect || !wants_reconnect(session)) {
        finish(session, true);
        return;
    }
    if (slot.down_since == 0) slot.down_since = now;
    if (now - slot.down_since > seconds_to_ns(options_.reconnect_give_up_s)) {
        worker_->metrics().error(fmt::format("gave up reconnecting after {:.0f} s", options_.reconnect_give_up_s));
        finish(session, true);
        return;
    }
    slot.backoff_ns = slot.backoff_ns == 0 ? seconds_to_ns(options_.reconnect_min_s)
                                           : std::min(slot.backoff_ns * 2, seconds_to_ns(options_.reconnect_max_s));
    // +-25 % so thousands of clients dropped at once do not return at once.
    std::uniform_real_distribution<double> spread(0.75, 1.25);
    slot.retry_at = now + static_cast<std::int64_t>(static_cast<double>(slot.backoff_ns) * spread(jitter_));
    slot.retry_pending = true;
    ++retries_pending_;
}

void ClientDriver::stop(Worker&) {
    if (stopping_) return;
    stopping_ = true;
    // Sessions never started will not be: count them as done. Those let go
    // are done, or will be once their connection has closed.
    for (std::size_t i = next_to_connect_; i < sessions_.size(); ++i) {
        Slot& slot = slots_[i];
        Session::State state = sessions_[i]->state();
        if (slot.done || state == Session::State::connected || state == Session::State::connecting) continue;
        slot.done = true;
        ++closed_;
    }
    next_to_connect_ = sessions_.size();
    stopping();
    disconnect_all();
}

void ClientDriver::disconnect_all() {
    for (auto& s : sessions_) {
        if (slots_[s->index()].retry_pending) {
            finish(*s, true);
        } else if (s->state() == Session::State::connected || s->state() == Session::State::connecting) {
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
    Slot& slot = slots_[session.index()];
    Metrics& m = worker_->metrics();
    m.add(Counter::connect_ok);
    if (slot.ever_connected) m.add(Counter::reconnects);
    slot.ever_connected = true;
    slot.backoff_ns = 0;
    slot.down_since = 0;
    m.record(Latency::connect, now - session.connect_started_ns());
    m.connection_opened();
    connected(session);
    worker_->touch(session);
}

void ClientDriver::on_disconnect(Session& session, const Status& why) {
    if (!session.was_connected()) {
        --connecting_;
        if (why) finish(session, false);  // we gave up on it (the run is stopping)
        else attempt_failed(session, why.message());
        return;
    }
    worker_->metrics().connection_closed();
    if (why) {
        finish(session, false);
        return;
    }
    worker_->metrics().add(Counter::disconnects);
    worker_->metrics().error(why.message());
    if (!stopping_ && options_.reconnect && wants_reconnect(session)) interrupted(session);
    schedule_retry(session, now_ns());
}

}  // namespace lampi::load
