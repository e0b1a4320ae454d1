#include "scenario/publish.h"

#include <fmt/core.h>

#include <algorithm>
#include <atomic>
#include <cmath>

#include "mqtt/client_driver.h"
#include "mqtt/payload.h"
#include "run/clock.h"

namespace lampi::load {
namespace {

// One publishing client's progress.
struct Publisher {
    std::uint64_t next_seq = 0;
    std::uint64_t confirmed = 0;
    // (mid, sent at) of unconfirmed messages; small (<= inflight), so a vector.
    std::vector<std::pair<int, std::int64_t>> inflight;
    bool done_sending = false;
    bool let_go = false;  // the web UI asked for fewer clients
    // malaria's per-client figures: confirmation times (ms) and the span from
    // the first publish to the last confirmation.
    double sum_ms = 0, sum_squares_ms = 0, min_ms = 0, max_ms = 0;
    std::int64_t first_sent_ns = 0, last_confirmed_ns = 0;
};

class PublishDriver : public ClientDriver {
public:
    PublishDriver(const PublishOptions& o, int worker_index, int worker_count, const LoadTarget* target,
                  const std::atomic<double>& message_rate)
        // The web UI's LoadTarget alone paces its connects, at the page's rate.
        : ClientDriver(o.client, o.web ? 0 : o.connect_rate / worker_count),
          o_(o),
          target_(target),
          message_rate_(message_rate),
          worker_index_(worker_index),
          worker_count_(worker_count),
          pacer_(o.rate_total > 0 ? o.rate_total / worker_count : 0, 10'000),
          first_client_(static_cast<std::size_t>(worker_index)),
          stride_(static_cast<std::size_t>(worker_count)) {
        for (int i = worker_index; i < o.clients; i += worker_count) {
            add_session(fmt::format("{}-{}", o.client_prefix, i), static_cast<std::size_t>(i));
            publishers_.emplace_back();
            ++planned_clients_;
        }
        rate_per_client_ = o.rate_per_client;
        if (o.rate_total <= 0 && o.rate_per_client > 0) pacer_ = Pacer(o.rate_per_client * planned_clients_, 10'000);
        paced_ = o.rate_total > 0 || o.rate_per_client > 0;
        if (o.count == 0 || o.duration_s > 0 || o.ramped) count_ = 0;
        else count_ = o.count;
        topic_is_fixed_ = !topic_uses_seq(o.topic);
    }

    std::uint64_t planned_clients() const { return planned_clients_; }
    // Clients started so far (all of them without a ramp, once connecting began).
    std::size_t started() const { return started_.load(std::memory_order_relaxed); }
    // Messages still unconfirmed when the run stopped them (a ramp's end) or their client was let go.
    std::uint64_t in_flight_at_stop() const { return in_flight_at_stop_.load(std::memory_order_relaxed); }
    // Messages unconfirmed now, and those that never will be (their connection was lost).
    std::uint64_t in_flight() const { return in_flight_.load(std::memory_order_relaxed); }
    std::uint64_t lost() const { return lost_.load(std::memory_order_relaxed); }
    bool finished() const override { return (!o_.web || stopping_) && ClientDriver::finished(); }

    // (client number, figures) of this worker's clients.
    void malaria_clients(std::vector<std::pair<std::size_t, MalariaClient>>& into) const {
        for (std::size_t i = 0; i < publishers_.size(); ++i) {
            const Publisher& p = publishers_[i];
            if (target_ && p.next_seq == 0) continue;  // a client the ramp never reached
            MalariaClient c;
            c.clientid = sessions_[i]->client_id();
            c.count_ok = p.confirmed;
            c.count_total = std::max(p.next_seq, count_);
            if (p.confirmed > 0) {
                auto n = static_cast<double>(p.confirmed);
                c.mean_ms = p.sum_ms / n;
                c.stddev_ms = std::sqrt(std::max(0.0, p.sum_squares_ms / n - c.mean_ms * c.mean_ms));
                c.min_ms = p.min_ms;
                c.max_ms = p.max_ms;
                c.time_total_s = static_cast<double>(p.last_confirmed_ns - p.first_sent_ns) / 1e9;
                if (c.time_total_s > 0) c.msgs_per_sec = n / c.time_total_s;
            }
            into.emplace_back(first_client_ + i * stride_, std::move(c));
        }
    }

private:
    void start_clock(std::int64_t now) {
        if (end_ns_ == 0 && o_.duration_s > 0) end_ns_ = now + static_cast<std::int64_t>(o_.duration_s * 1e9);
    }

    void connected(Session& session) override {
        start_clock(now_ns());
        Publisher& p = publishers_[session.index()];
        if (topic_is_fixed_) topics_.resize(sessions_.size());
        if (topic_is_fixed_) topics_[session.index()] = expand_topic(o_.topic, session.client_id(), 0);
        if (!paced_) pump(session, p, 1'000'000);
    }

    bool sending_over(const Publisher& p) const {
        if (stopping_ || draining_ || p.let_go) return true;
        return count_ > 0 && p.next_seq >= count_;
    }

    // Publishes up to `budget` messages on `session` while its window has room.
    // Confirmations arrive later (after the write at QoS 0), never inside publish().
    std::uint64_t pump(Session& session, Publisher& p, std::uint64_t budget) {
        std::uint64_t sent = 0;
        Metrics& m = worker_->metrics();
        while (sent < budget && !sending_over(p) && p.inflight.size() < static_cast<std::size_t>(o_.inflight) &&
               session.state() == Session::State::connected) {
            std::int64_t now = now_ns();
            encode_payload(payload_, PayloadHeader{p.next_seq, count_, wall_ns(), session.client_id()}, o_.payload_size);
            int mid = 0;
            bool queued = topic_is_fixed_
                              ? session.publish(topics_[session.index()], payload_, o_.qos, o_.retain, &mid)
                              : session.publish(expand_topic(o_.topic, session.client_id(), p.next_seq), payload_,
                                                o_.qos, o_.retain, &mid);
            if (!queued) break;  // closing; the disconnect is counted where it happens
            p.inflight.emplace_back(mid, now);
            in_flight_.fetch_add(1, std::memory_order_relaxed);
            if (p.next_seq == 0) p.first_sent_ns = now;
            ++p.next_seq;
            ++sent;
            m.add(Counter::sent);
            m.activity(now);
        }
        if (sending_over(p)) maybe_finish(session, p);
        return sent;
    }

    void maybe_finish(Session& session, Publisher& p) {
        if (p.done_sending || !p.inflight.empty()) return;
        p.done_sending = true;
        session.disconnect();
    }

    void on_publish(Session& session, int mid) override {
        Publisher& p = publishers_[session.index()];
        std::int64_t now = now_ns();
        for (auto it = p.inflight.begin(); it != p.inflight.end(); ++it) {
            if (it->first != mid) continue;
            confirm(p, it->second, now);
            p.inflight.erase(it);
            in_flight_.fetch_sub(1, std::memory_order_relaxed);
            break;
        }
        if (!paced_) pump(session, p, 1'000'000);
        else if (sending_over(p)) maybe_finish(session, p);
    }

    void confirm(Publisher& p, std::int64_t sent_at, std::int64_t now) {
        worker_->metrics().record(Latency::primary, now - sent_at);
        double ms = static_cast<double>(now - sent_at) / 1e6;
        p.min_ms = p.confirmed == 0 ? ms : std::min(p.min_ms, ms);
        p.max_ms = std::max(p.max_ms, ms);
        p.sum_ms += ms;
        p.sum_squares_ms += ms * ms;
        p.last_confirmed_ns = now;
        ++p.confirmed;
        worker_->metrics().add(Counter::completed);
        worker_->metrics().activity(now);
    }

    // Forgets the messages `p` awaits, counting them in `into`.
    void drop_inflight(Publisher& p, std::atomic<std::uint64_t>& into) {
        into.fetch_add(p.inflight.size(), std::memory_order_relaxed);
        in_flight_.fetch_sub(p.inflight.size(), std::memory_order_relaxed);
        p.inflight.clear();
    }

    void interrupted(Session& session) override {
        // Whatever was unconfirmed is lost: counted in the success rate, not resent.
        drop_inflight(publishers_[session.index()], lost_);
    }

    void let_go(Session& session) override {
        Publisher& p = publishers_[session.index()];
        p.let_go = true;
        drop_inflight(p, in_flight_at_stop_);
        p.done_sending = true;
        session.disconnect();
    }

    void restarted(Session& session) override {
        Publisher& p = publishers_[session.index()];
        p.let_go = false;
        p.done_sending = false;
    }

    bool wants_reconnect(const Session& session) const override {
        return !sending_over(publishers_[session.index()]) && !publishers_[session.index()].done_sending;
    }

    void closed(Session& session, bool) override {
        drop_inflight(publishers_[session.index()], lost_);
        publishers_[session.index()].done_sending = true;
    }

    std::size_t sessions_wanted() const override { return target_ ? wanted_ : sessions_.size(); }

    // A web run may ask for more clients than -P: this worker's next ones join.
    void add_clients_up_to(std::size_t wanted) {
        while (sessions_.size() < wanted) {
            std::size_t number = first_client_ + sessions_.size() * stride_;
            add_session(fmt::format("{}-{}", o_.client_prefix, number), number);
            publishers_.emplace_back();
        }
    }

    // The web UI's -T, followed by this worker's pacer (over its wanted clients).
    void follow_rate() {
        double rate = message_rate_.load(std::memory_order_relaxed);
        if (rate == rate_per_client_) return;
        bool was_paced = paced_;
        rate_per_client_ = rate;
        paced_ = rate > 0;
        pacer_ = Pacer(rate * static_cast<double>(wanted_), 10'000);
        if (!was_paced || paced_) return;
        // Unpaced publishers send whenever a confirmation comes: start them off.
        for (auto& s : sessions_) {
            if (s->state() != Session::State::connected) continue;
            pump(*s, publishers_[s->index()], 1'000'000);
            worker_->touch(*s);
        }
    }

    // Follows the ramp: how many clients this worker runs, and the message rate
    // that gives each of them its -T.
    void follow_target(std::int64_t now) {
        if (start_ns_ == 0) start_ns_ = now;
        if (!have_plan_ || target_->generation() != plan_.generation) {
            plan_ = target_->plan();
            have_plan_ = true;
        }
        auto wanted = static_cast<std::size_t>(share_of(plan_.due(now, start_ns_), worker_index_, worker_count_));
        if (o_.web) add_clients_up_to(wanted);
        if (wanted != wanted_) {
            wanted_ = std::min(wanted, sessions_.size());
            started_.store(wanted_, std::memory_order_relaxed);
            if (o_.rate_total <= 0 && rate_per_client_ > 0)
                pacer_ = Pacer(rate_per_client_ * static_cast<double>(wanted_), 10'000);
        }
        if (o_.web) follow_rate();
    }

    void run_tick(std::int64_t now) override {
        if (target_) follow_target(now);
        if (end_ns_ != 0 && now >= end_ns_ && !draining_) begin_drain(now);
        if (draining_ && now >= drain_deadline_) {
            // Confirmations that never came: give up on them and leave.
            for (auto& s : sessions_) {
                if (s->state() == Session::State::connected) {
                    drop_inflight(publishers_[s->index()], lost_);
                    maybe_finish(*s, publishers_[s->index()]);
                    worker_->touch(*s);
                }
            }
        }
        if (!paced_ || draining_) return;
        std::uint64_t tokens = pacer_.take(now);
        std::size_t n = sessions_.size();
        std::size_t idle_rounds = 0;
        // Round-robin over connected clients, one message each, until the tokens are spent.
        while (tokens > 0 && n > 0 && idle_rounds < n) {
            cursor_ = (cursor_ + 1) % n;
            Session& s = *sessions_[cursor_];
            Publisher& p = publishers_[cursor_];
            if (s.state() != Session::State::connected || sending_over(p)) {
                ++idle_rounds;
                continue;
            }
            if (pump(s, p, 1) == 1) {
                --tokens;
                idle_rounds = 0;
                worker_->touch(s);
            } else {
                ++idle_rounds;
            }
        }
    }

    void begin_drain(std::int64_t now) {
        draining_ = true;
        drain_deadline_ = now + static_cast<std::int64_t>(o_.drain_timeout_s * 1e9);
        for (auto& s : sessions_) {
            if (s->state() == Session::State::connected) {
                maybe_finish(*s, publishers_[s->index()]);
                worker_->touch(*s);
            }
        }
    }

    void stopping() override {
        for (auto& p : publishers_) drop_inflight(p, in_flight_at_stop_);
    }

    const PublishOptions& o_;
    const LoadTarget* target_;  // the ramp's, or nullptr: every client starts
    const std::atomic<double>& message_rate_;  // -T, as the web UI sets it
    double rate_per_client_ = 0;
    int worker_index_;
    int worker_count_;
    LoadTarget::Plan plan_;
    bool have_plan_ = false;
    std::int64_t start_ns_ = 0;
    std::size_t wanted_ = 0;
    std::atomic<std::size_t> started_{0};
    std::atomic<std::uint64_t> in_flight_at_stop_{0};
    std::atomic<std::uint64_t> in_flight_{0};
    std::atomic<std::uint64_t> lost_{0};
    Pacer pacer_;
    std::size_t first_client_;  // this worker's clients are first_client_ + k * stride_
    std::size_t stride_;
    bool paced_ = false;
    std::uint64_t count_ = 0;
    std::uint64_t planned_clients_ = 0;
    bool topic_is_fixed_ = true;
    std::vector<std::string> topics_;
    std::vector<Publisher> publishers_;
    std::string payload_;
    std::size_t cursor_ = 0;
    std::int64_t end_ns_ = 0;
    bool draining_ = false;
    std::int64_t drain_deadline_ = 0;
};

}  // namespace

PublishScenario::PublishScenario(PublishOptions options)
    : options_(std::move(options)),
      target_(options_.steered >= 0 ? options_.steered
              : options_.ramped     ? 0
                                    : options_.clients,
              options_.steered >= 0 ? options_.connect_rate : 0),
      message_rate_(options_.rate_per_client) {}

std::vector<Figure> PublishScenario::live_figures() const {
    std::uint64_t in_flight = 0, lost = 0;
    for (Driver* d : drivers_) {
        in_flight += static_cast<const PublishDriver*>(d)->in_flight();
        lost += static_cast<const PublishDriver*>(d)->lost();
    }
    return {{"in_flight", "Messages awaiting their confirmation", static_cast<double>(in_flight), ""},
            {"lost", "Messages lost with their connection", static_cast<double>(lost), ""}};
}

std::int64_t PublishScenario::users_now() const {
    std::int64_t started = 0;
    for (Driver* d : drivers_) started += static_cast<std::int64_t>(static_cast<const PublishDriver*>(d)->started());
    return options_.ramped ? started : options_.clients;
}

std::string PublishScenario::description() const {
    if (options_.web)
        return fmt::format("clients steered from the web UI publish {} bytes at QoS {} to {}:{} (topic {})",
                           options_.payload_size, options_.qos, options_.client.host, options_.client.port,
                           options_.topic);
    std::string amount = options_.ramped           ? std::string("until the ramp ends")
                         : options_.duration_s > 0 ? fmt::format("for {:.0f} s", options_.duration_s)
                                                   : fmt::format("{} messages each", options_.count);
    std::string rate = options_.rate_total > 0        ? fmt::format(" at {:.0f} msg/s in total", options_.rate_total)
                       : options_.rate_per_client > 0 ? fmt::format(" at {:.1f} msg/s each", options_.rate_per_client)
                                                      : "";
    return fmt::format("{}{} clients publish {}{} of {} bytes at QoS {} to {}:{} (topic {})", options_.ramped ? "up to " : "", options_.clients, amount,
                       rate, options_.payload_size, options_.qos, options_.client.host, options_.client.port,
                       options_.topic);
}

std::string PublishScenario::primary_latency() const {
    switch (options_.qos) {
        case 0: return "publish -> written to the socket (QoS 0)";
        case 1: return "publish -> PUBACK (QoS 1)";
        default: return "publish -> PUBCOMP (QoS 2)";
    }
}

std::unique_ptr<Driver> PublishScenario::make_driver(int worker_index, int worker_count) {
    auto driver = std::make_unique<PublishDriver>(options_, worker_index, worker_count, load_target(), message_rate_);
    drivers_.push_back(driver.get());
    return driver;
}

void PublishScenario::finish(const std::vector<Driver*>& drivers, RunReport& report) {
    report.malaria_block = true;
    std::vector<std::pair<std::size_t, MalariaClient>> clients;
    for (Driver* d : drivers) static_cast<const PublishDriver*>(d)->malaria_clients(clients);
    // A web run's clients are those the page started, whatever -P said.
    report.clients = options_.web ? static_cast<int>(clients.size()) : options_.clients;
    std::sort(clients.begin(), clients.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    for (auto& [number, c] : clients) report.malaria_clients.push_back(std::move(c));
    std::uint64_t sent = report.totals.get(Counter::sent);
    std::uint64_t cut_off = 0;
    for (Driver* d : drivers) cut_off += static_cast<const PublishDriver*>(d)->in_flight_at_stop();
    if (options_.ramped) {
        // A ramp ends when it has its answer, not when the messages do: those in
        // flight at that moment are nobody's loss (nor those of a client the web UI let go).
        sent -= std::min(sent, cut_off);
        report.figures.push_back({"in_flight_at_end",
                                  options_.web ? "Messages in flight when their client was let go or the run ended"
                                               : "Messages in flight when the ramp ended",
                                  static_cast<double>(cut_off), ""});
    }
    report.planned_messages = options_.duration_s > 0 || options_.ramped ? sent : options_.count * static_cast<std::uint64_t>(options_.clients);
    std::uint64_t confirmed = report.totals.get(Counter::completed);
    if (confirmed < report.planned_messages) {
        report.failures.push_back(fmt::format("{} of {} messages were not confirmed",
                                              report.planned_messages - confirmed, report.planned_messages));
    }
}

}  // namespace lampi::load
