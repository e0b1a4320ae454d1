#include "lamp_commander.h"

#include <algorithm>

#include <boost/json.hpp>
#include <cmath>
#include <fmt/core.h>

namespace lampi::testing {
namespace {

using Clock = std::chrono::steady_clock;

// A brightness no recent command had: 0.050, 0.051, ... 0.949, then round again.
double brightness_of(int index) { return 0.05 + (index % 900) / 1000.0; }

bool same(double a, double b) { return std::fabs(a - b) < 1e-6; }

}  // namespace

LampCommander::LampCommander(std::string https_url, std::string ca_file, std::string device_id)
    : https_url_(std::move(https_url)),
      ca_file_(std::move(ca_file)),
      device_id_(std::move(device_id)),
      sender_(BrowserSession::at(https_url_, ca_file_)),
      sampler_(BrowserSession::at(https_url_, ca_file_)) {}

LampCommander::~LampCommander() {
    stop_sending();
    stop_sampling();
}

std::string LampCommander::login(const std::string& username, const std::string& password) {
    username_ = username;
    password_ = password;
    if (!sender_.login(username, password)) return "the sender could not log in as " + username;
    if (!sampler_.login(username, password)) return "the sampler could not log in as " + username;
    return "";
}

long LampCommander::send() {
    int index;
    {
        std::lock_guard lock(mutex_);
        index = next_index_++;
    }
    double brightness = brightness_of(index);
    std::string body = fmt::format(R"({{"on": true, "brightness": {:.3f}, "client": "faults"}})", brightness);
    auto at = Clock::now();
    HttpReply response = sender_.send_json("POST", "/api/v1/lamps/" + device_id_ + "/state", body);
    std::lock_guard lock(mutex_);
    sent_.push_back(SentCommand{index, brightness, response.status, at});
    return response.status;
}

void LampCommander::start_sending(int per_second) {
    sending_ = true;
    send_thread_ = std::thread([this, per_second] {
        auto period = std::chrono::microseconds(1'000'000 / std::max(per_second, 1));
        auto next = Clock::now();
        while (sending_) {
            send();
            next += period;
            std::this_thread::sleep_until(next);
        }
    });
}

void LampCommander::stop_sending() {
    sending_ = false;
    if (send_thread_.joinable()) send_thread_.join();
}

std::optional<SampledState> LampCommander::sample() {
    HttpReply response = sampler_.get("/api/v1/lamps/" + device_id_);
    if (response.status != 200) return std::nullopt;
    boost::system::error_code ec;
    boost::json::value json = boost::json::parse(response.body, ec);
    if (ec || !json.is_object()) return std::nullopt;
    SampledState state;
    state.at = Clock::now();
    const auto& lamp = json.as_object();
    if (const auto* online = lamp.if_contains("online"); online && online->is_bool()) state.online = online->as_bool();
    if (const auto* reported = lamp.if_contains("state"); reported && reported->is_object()) {
        const auto& object = reported->as_object();
        if (const auto* b = object.if_contains("brightness"); b && b->is_number()) state.brightness = b->to_number<double>();
        if (const auto* v = object.if_contains("version"); v && v->is_int64()) state.version = v->as_int64();
    }
    return state;
}

void LampCommander::start_sampling() {
    sampling_ = true;
    sample_thread_ = std::thread([this] {
        while (sampling_) {
            if (auto state = sample()) {
                std::lock_guard lock(mutex_);
                samples_.push_back(*state);
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
    });
}

void LampCommander::stop_sampling() {
    sampling_ = false;
    if (sample_thread_.joinable()) sample_thread_.join();
}

bool LampCommander::wait_for_last_acknowledged(std::chrono::milliseconds timeout) {
    // The last acknowledged command, or one sent after it: a command whose answer
    // was lost (lampi-cloud killed between the broker's PUBACK and its 202) may
    // still have taken effect, and then it supersedes the acknowledged one.
    std::vector<double> wanted;
    {
        std::lock_guard lock(mutex_);
        bool acknowledged = false;
        for (std::size_t i = sent_.size(); i-- > 0;) {
            wanted.push_back(sent_[i].brightness);
            if (sent_[i].status == 202) {
                acknowledged = true;
                break;
            }
        }
        if (!acknowledged) wanted.clear();  // nothing acknowledged: the lamp being online is enough
    }
    auto deadline = Clock::now() + timeout;
    while (Clock::now() < deadline) {
        {
            std::lock_guard lock(mutex_);
            if (!samples_.empty()) {
                const SampledState& last = samples_.back();
                bool shows_one = wanted.empty() ||
                                 (last.brightness && std::any_of(wanted.begin(), wanted.end(),
                                                                 [&](double b) { return same(*last.brightness, b); }));
                if (last.online && shows_one) return true;
            }
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
}

std::optional<std::chrono::milliseconds> LampCommander::round_trip(std::chrono::milliseconds timeout) {
    // A command sent before every link is back may be refused or dropped (a lamp
    // that is offline has no session to queue it in): send a fresh one every few
    // seconds until one takes effect.
    constexpr auto kRetryAfter = std::chrono::seconds(5);
    auto start = Clock::now();
    auto deadline = start + timeout;
    while (Clock::now() < deadline) {
        if (send() == 202) {
            auto wait = std::min<Clock::duration>(kRetryAfter, deadline - Clock::now());
            if (wait_for_last_acknowledged(std::chrono::duration_cast<std::chrono::milliseconds>(wait))) {
                return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
            }
        } else {
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
        }
    }
    return std::nullopt;
}

int LampCommander::acknowledged() const {
    std::lock_guard lock(mutex_);
    int n = 0;
    for (const auto& command : sent_) n += command.status == 202;
    return n;
}

int LampCommander::refused() const {
    std::lock_guard lock(mutex_);
    int n = 0;
    for (const auto& command : sent_) n += command.status != 202;
    return n;
}

int LampCommander::lost() const {
    std::lock_guard lock(mutex_);
    int lost = 0;
    // Newest first: once any command shows (acknowledged or not: one whose answer
    // was lost may still have taken effect), every older one is superseded.
    for (auto it = sent_.rbegin(); it != sent_.rend(); ++it) {
        bool seen = false;
        for (const auto& state : samples_) {
            if (state.at >= it->at && state.brightness && same(*state.brightness, it->brightness)) {
                seen = true;
                break;
            }
        }
        if (seen) break;
        if (it->status == 202) ++lost;
    }
    return lost;
}

int LampCommander::version_regressions() const {
    std::lock_guard lock(mutex_);
    int regressions = 0;
    std::int64_t highest = -1;
    for (const auto& state : samples_) {
        if (state.version < 0) continue;
        if (state.version < highest) ++regressions;
        highest = std::max(highest, state.version);
    }
    return regressions;
}

std::optional<Clock::time_point> LampCommander::offline_since(Clock::time_point since) const {
    std::lock_guard lock(mutex_);
    for (const auto& state : samples_) {
        if (state.at >= since && !state.online) return state.at;
    }
    return std::nullopt;
}

std::string LampCommander::last_seen() const {
    std::lock_guard lock(mutex_);
    std::string out = sent_.empty() ? "no command sent" : fmt::format("the last command got HTTP {}", sent_.back().status);
    if (samples_.empty()) return out + "; no state sampled";
    const SampledState& last = samples_.back();
    return out + fmt::format("; the cloud last reported the lamp {} with brightness {}, version {}",
                             last.online ? "online" : "offline",
                             last.brightness ? fmt::format("{:.3f}", *last.brightness) : std::string("unknown"),
                             last.version);
}

void LampCommander::reset() {
    std::lock_guard lock(mutex_);
    sent_.clear();
    samples_.clear();
}

}  // namespace lampi::testing
