#include "fleet/fleet.h"

#include <fmt/core.h>

#include <charconv>
#include <filesystem>
#include <random>
#include <unordered_map>

#include "lampi/device_id.h"
#include "lampi/lamp_codec.h"
#include "lampi/lamp_state.h"
#include "lampi/topics.h"
#include "mqtt/client_driver.h"
#include "run/clock.h"

namespace lampi::load {
namespace {

constexpr std::string_view kCommandClientPrefix = "lampi-load-cmd-";
constexpr std::int64_t kGraceNs = 2'000'000'000;  // lets the last commands be answered

struct Lamp {
    std::string device_id;
    std::string set_config_topic;
    std::string changed_topic;
    LampState state;
    std::size_t global_index = 0;
};

struct Command {
    std::int64_t sent_ns;
};

class FleetDriver : public ClientDriver {
public:
    FleetDriver(const FleetOptions& o, std::shared_ptr<FleetShared> shared, int worker_index, int worker_count,
                std::shared_ptr<std::atomic<std::int64_t>> end_ns)
        : ClientDriver(o.client, o.connect_rate / worker_count), o_(o), shared_(std::move(shared)),
          end_ns_(std::move(end_ns)), command_pacer_(o.commands_per_s, 1'000), random_(worker_index + 1) {
        for (int i = worker_index; i < o.lamps; i += worker_count) {
            Lamp lamp;
            lamp.device_id = FleetScenario::device_id(o.first_device_id, i);
            lamp.set_config_topic = topics::cloud(lamp.device_id, topics::kSetConfig);
            lamp.changed_topic = topics::cloud(lamp.device_id, topics::kChanged);
            lamp.global_index = static_cast<std::size_t>(i);
            add_session(topics::lamp_client_id(lamp.device_id), lamp.global_index);
            lamps_.push_back(std::move(lamp));
        }
        if (worker_index == 0 && o.commands_per_s > 0) {
            commander_ = &add_session("lampi-load-commander", static_cast<std::size_t>(o.lamps));
        }
        settled_.resize(sessions_.size());
    }

    std::uint64_t commands_sent() const { return commands_sent_; }
    std::uint64_t commands_answered() const { return commands_answered_; }
    std::uint64_t commands_unanswered() const { return commands_unanswered_; }
    std::uint64_t rejected() const { return rejected_; }

private:
    bool is_lamp(const Session& s) const { return &s != commander_; }
    Lamp& lamp_of(const Session& s) { return lamps_[s.index()]; }

    std::string bridge_state_topic(const Lamp& lamp) const {
        return topics::cloud(lamp.device_id, topics::connection_state(topics::kBridgeClient));
    }

    Status prepare(Session& session) override {
        if (!is_lamp(session)) return Status::ok();
        const Lamp& lamp = lamp_of(session);
        if (!o_.cert_dir.empty()) {
            std::string base = o_.cert_dir + "/" + lamp.device_id;
            // lampi-ca writes <id>.pem; other tools name it <id>.crt.
            std::string cert = std::filesystem::exists(base + ".crt") ? base + ".crt" : base + ".pem";
            session.set_client_certificate(cert, base + ".key");
        }
        session.set_will(bridge_state_topic(lamp), std::string(topics::kOffline), 1, true);
        return Status::ok();
    }

    void connected(Session& session) override {
        if (!is_lamp(session)) {
            session.subscribe(topics::cloud("+", topics::kChanged), 1, &commander_sub_mid_);
            settle(session);
            return;
        }
        Lamp& lamp = lamp_of(session);
        session.subscribe(lamp.set_config_topic, 1);
        publish(session, bridge_state_topic(lamp), topics::kOnline);
        publish(session, topics::cloud(lamp.device_id, topics::connection_state(topics::kLampServiceClient)),
                topics::kOnline);
        publish(session, lamp.changed_topic, encode_changed(lamp.state));
        settle(session);
    }

    void interrupted(Session& session) override {
        if (is_lamp(session)) {
            shared_->ready[lamp_of(session).global_index].store(false, std::memory_order_relaxed);
        } else {
            // Commands in flight time out as unanswered; new ones wait for the SUBACK.
            commander_ready_ = false;
        }
    }

    bool wants_reconnect(const Session&) const override { return !wound_down_; }

    // Each session counts once towards "every lamp had its chance", however often it reconnects.
    void settle(Session& session) {
        if (settled_[session.index()]) return;
        settled_[session.index()] = true;
        if (shared_->settled.fetch_add(1) + 1 == connections_total()) {
            std::int64_t expected = 0;
            end_ns_->compare_exchange_strong(expected, now_ns() + static_cast<std::int64_t>(o_.duration_s * 1e9));
        }
    }

    std::size_t connections_total() const {
        return static_cast<std::size_t>(o_.lamps) + (o_.commands_per_s > 0 ? 1 : 0);
    }

    void publish(Session& session, const std::string& topic, std::string_view payload) {
        if (session.publish(topic, payload, 1, true)) worker_->metrics().add(Counter::sent);
    }

    void on_publish(Session&, int) override { worker_->metrics().add(Counter::completed); }

    void on_subscribe(Session& session, int mid, bool granted) override {
        if (!granted) {
            worker_->metrics().error(fmt::format("the broker refused {}'s subscription: check its ACL",
                                                 session.client_id()));
            return;
        }
        if (!is_lamp(session)) {
            if (mid == commander_sub_mid_) commander_ready_ = true;
            return;
        }
        shared_->ready[lamp_of(session).global_index].store(true, std::memory_order_relaxed);
    }

    void closed(Session& session, bool) override {
        if (is_lamp(session)) {
            shared_->ready[lamp_of(session).global_index].store(false, std::memory_order_relaxed);
        }
        settle(session);
    }

    void on_message(Session& session, const Message& message) override {
        std::string_view payload = message.payload;
        worker_->metrics().add(Counter::received);
        if (is_lamp(session)) {
            answer(session, payload);
        } else {
            observe_changed(payload);
        }
    }

    // The lamp's side of set_config: exactly what lampid does with it.
    void answer(Session& session, std::string_view payload) {
        Lamp& lamp = lamp_of(session);
        Result<DecodedUpdate> decoded = decode_set_config(payload);
        if (!decoded) {
            ++rejected_;
            worker_->metrics().error(fmt::format("a lamp rejected set_config: {}", decoded.status().message()));
            return;
        }
        if (apply_update(lamp.state, decoded->update)) publish(session, lamp.changed_topic, encode_changed(lamp.state));
    }

    void observe_changed(std::string_view payload) {
        Result<LampState> state = decode_changed(payload);
        if (!state || !state->client.starts_with(kCommandClientPrefix)) return;
        std::string_view digits = std::string_view(state->client).substr(kCommandClientPrefix.size());
        std::uint64_t seq = 0;
        if (std::from_chars(digits.data(), digits.data() + digits.size(), seq).ec != std::errc()) return;
        auto it = pending_.find(seq);
        if (it == pending_.end()) return;  // retained or already timed out
        std::int64_t now = now_ns();
        worker_->metrics().record(Latency::primary, now - it->second.sent_ns);
        worker_->metrics().activity(now);
        pending_.erase(it);
        ++commands_answered_;
    }

    void run_tick(std::int64_t now) override {
        std::int64_t end = end_ns_->load();
        if (end != 0 && now >= end + kGraceNs && !stopping_ && !wound_down_) {
            wind_down();
            return;
        }
        if (commander_ && commander_ready_ && end != 0 && now < end && commander_->state() == Session::State::connected) {
            send_commands(now);
        }
        if (commander_ && now >= next_expiry_scan_) {
            next_expiry_scan_ = now + 250'000'000;
            expire(now, static_cast<std::int64_t>(o_.answer_timeout_s * 1e9));
        }
    }

    void send_commands(std::int64_t now) {
        std::uint64_t due = command_pacer_.take(now);
        std::uniform_int_distribution<int> pick(0, o_.lamps - 1);
        std::uniform_real_distribution<double> hue(0.0, 1.0);
        for (std::uint64_t n = 0; n < due; ++n) {
            int lamp = -1;
            for (int attempt = 0; attempt < 16 && lamp < 0; ++attempt) {
                int candidate = pick(random_);
                if (shared_->ready[static_cast<std::size_t>(candidate)].load(std::memory_order_relaxed)) lamp = candidate;
            }
            if (lamp < 0) continue;
            LampUpdate update;
            update.on = true;
            update.hue = hue(random_);
            update.saturation = 1.0;
            update.client = fmt::format("{}{}", kCommandClientPrefix, next_command_);
            std::string topic = topics::cloud(FleetScenario::device_id(o_.first_device_id, lamp), topics::kSetConfig);
            if (!commander_->publish(topic, encode_set_config(update), 1, false)) break;
            pending_[next_command_++] = Command{now};
            ++commands_sent_;
            worker_->metrics().add(Counter::sent);
            worker_->metrics().activity(now);
        }
        worker_->touch(*commander_);
    }

    void expire(std::int64_t now, std::int64_t timeout) {
        for (auto it = pending_.begin(); it != pending_.end();) {
            if (now - it->second.sent_ns > timeout) {
                ++commands_unanswered_;
                worker_->metrics().add(Counter::lost);
                it = pending_.erase(it);
            } else {
                ++it;
            }
        }
    }

    void wind_down() {
        wound_down_ = true;
        commands_unanswered_ += pending_.size();
        worker_->metrics().add(Counter::lost, pending_.size());
        pending_.clear();
        for (auto& s : sessions_) {
            // A lamp switched off cleanly says so; the Will covers the unclean case.
            if (is_lamp(*s) && s->state() == Session::State::connected) {
                publish(*s, bridge_state_topic(lamp_of(*s)), topics::kOffline);
            }
        }
        disconnect_all();
    }

    void stopping() override { wind_down(); }

    const FleetOptions& o_;
    std::shared_ptr<FleetShared> shared_;
    std::shared_ptr<std::atomic<std::int64_t>> end_ns_;
    std::vector<Lamp> lamps_;
    std::vector<bool> settled_;
    Session* commander_ = nullptr;
    int commander_sub_mid_ = -1;
    bool commander_ready_ = false;
    Pacer command_pacer_;
    std::mt19937_64 random_;
    std::uint64_t next_command_ = 0;
    std::unordered_map<std::uint64_t, Command> pending_;
    std::int64_t next_expiry_scan_ = 0;
    std::uint64_t commands_sent_ = 0, commands_answered_ = 0, commands_unanswered_ = 0, rejected_ = 0;
    bool wound_down_ = false;
};

}  // namespace

FleetScenario::FleetScenario(FleetOptions options)
    : options_(std::move(options)), shared_(std::make_shared<FleetShared>(static_cast<std::size_t>(options_.lamps))) {}

std::string FleetScenario::device_id(std::uint64_t first, int index) {
    return device_id_from_number(first + static_cast<std::uint64_t>(index));
}

std::size_t FleetScenario::connections() const {
    return static_cast<std::size_t>(options_.lamps) + (options_.commands_per_s > 0 ? 1 : 0);
}

std::string FleetScenario::description() const {
    return fmt::format("{} lamps ({}..) on {}:{}, connecting at {:.0f}/s, {:.0f} commands/s for {:.0f} s",
                       options_.lamps, device_id(options_.first_device_id, 0), options_.client.host,
                       options_.client.port, options_.connect_rate, options_.commands_per_s, options_.duration_s);
}

std::unique_ptr<Driver> FleetScenario::make_driver(int worker_index, int worker_count) {
    static_assert(sizeof(std::int64_t) == 8);
    if (!end_ns_) end_ns_ = std::make_shared<std::atomic<std::int64_t>>(0);
    return std::make_unique<FleetDriver>(options_, shared_, worker_index, worker_count, end_ns_);
}

void FleetScenario::finish(const std::vector<Driver*>& drivers, RunReport& report) {
    std::uint64_t sent = 0, answered = 0, unanswered = 0, rejected = 0;
    for (Driver* d : drivers) {
        auto* f = static_cast<FleetDriver*>(d);
        sent += f->commands_sent();
        answered += f->commands_answered();
        unanswered += f->commands_unanswered();
        rejected += f->rejected();
    }
    report.clients = options_.lamps;
    report.figures.push_back({"lamps", "Lamps", static_cast<double>(options_.lamps), ""});
    report.figures.push_back({"commands_sent", "Commands sent", static_cast<double>(sent), ""});
    report.figures.push_back({"commands_answered", "Commands answered with changed", static_cast<double>(answered), ""});
    report.figures.push_back({"commands_unanswered", "Commands unanswered", static_cast<double>(unanswered), ""});
    report.figures.push_back({"set_config_rejected", "set_config rejected by lamps", static_cast<double>(rejected), ""});
    double active = report.totals.active_s;
    report.figures.push_back(
        {"commands_per_s", "Commands per second", active > 0 ? static_cast<double>(sent) / active : 0, "cmd/s"});
    if (unanswered > 0) report.failures.push_back(fmt::format("{} of {} commands got no changed", unanswered, sent));
    if (options_.commands_per_s > 0 && sent == 0) report.failures.push_back("no command could be sent");
}

}  // namespace lampi::load
