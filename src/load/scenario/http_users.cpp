#include "scenario/http_users.h"

#include <fmt/core.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <functional>
#include <queue>

#include "lampi/log.h"
#include "mqtt/worker.h"
#include "report/locust_report.h"
#include "run/clock.h"

namespace lampi::load {
namespace {

constexpr std::int64_t kSecond = 1'000'000'000;

double unix_now() { return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count(); }

class UsersDriver : public Driver, public http::UserTimers {
public:
    UsersDriver(const HttpOptions& options, http::Endpoint endpoint, std::unique_ptr<UserFactory> factory, int index,
                int workers, std::atomic<std::int64_t>& running, RequestStats& stats, const LoadTarget& target)
        : options_(options),
          endpoint_(std::move(endpoint)),
          factory_(std::move(factory)),
          index_(index),
          workers_(workers),
          running_(running),
          stats_(stats),
          target_(target) {}

    void start(Worker& worker) override {
        worker_ = &worker;
        start_ns_ = now_ns();
        if (setup_error_.empty()) setup_error_ = factory_->setup_error();
        if (!setup_error_.empty()) {
            worker.metrics().error(setup_error_);
            finished_ = true;
        }
    }

    void tick(Worker& worker, std::int64_t now) override {
        if (finished_) return;
        // Requests waiting for a socket, their users' last steps (on_stop) too.
        if (endpoint_.budget) endpoint_.budget->admit();
        if (stopping_) {
            wake_due(now);
            finished_ = now >= stop_deadline_ns_ || all_stopped();
            return;
        }
        if (options_.run_time_s > 0 && now - start_ns_ >= static_cast<std::int64_t>(options_.run_time_s * 1e9)) {
            stop(worker);
            return;
        }
        spawn_due(worker, now);
        wake_due(now);
        release_retired();
    }

    void stop(Worker&) override {
        if (stopping_ || finished_) return;
        stopping_ = true;
        stop_deadline_ns_ = now_ns() + static_cast<std::int64_t>(options_.stop_timeout_s * 1e9);
        for (auto& user : users_) {
            user->stop();
            running_.fetch_sub(1, std::memory_order_relaxed);
        }
        finished_ = all_stopped();
    }

    bool finished() const override { return finished_; }

    void wake_at(http::WebUser& user, std::int64_t at_ns) override { timers_.emplace(at_ns, &user); }

    void set_tls_error(std::string error) { setup_error_ = std::move(error); }

private:
    void wake_due(std::int64_t now) {
        while (!timers_.empty() && timers_.top().first <= now) {
            http::WebUser* user = timers_.top().second;
            timers_.pop();
            user->wake(now);
        }
    }

    bool all_stopped() const {
        auto stopped = [](const auto& user) { return user->stopped(); };
        return std::all_of(users_.begin(), users_.end(), stopped) &&
               std::all_of(retiring_.begin(), retiring_.end(), stopped);
    }

    // Starts this worker's share of the users the target wants by now, or stops
    // the newest ones when it wants fewer.
    void spawn_due(Worker& worker, std::int64_t now) {
        if (!have_plan_ || target_.generation() != plan_.generation) {
            plan_ = target_.plan();
            have_plan_ = true;
        }
        int wanted = share_of(plan_.due(now, start_ns_), index_, workers_);
        while (static_cast<int>(users_.size()) > wanted) {
            users_.back()->stop();
            running_.fetch_sub(1, std::memory_order_relaxed);
            retiring_.push_back(std::move(users_.back()));
            users_.pop_back();
        }
        while (static_cast<int>(users_.size()) < wanted) {
            // The process's slot of this user: a slot a lower target freed is taken again, with its number.
            const auto slot = static_cast<std::uint64_t>(index_) + users_.size() * static_cast<std::uint64_t>(workers_);
            const std::uint64_t number = plan_.numbers ? plan_.numbers->number_of(slot) : options_.first_user + slot;
            std::uint64_t seed = std::hash<std::int64_t>{}(now) ^ (number * 0x9e3779b97f4a7c15ULL);
            users_.push_back(factory_->make(worker, endpoint_, stats_, *this, number, seed));
            running_.fetch_add(1, std::memory_order_relaxed);
            users_.back()->start();
        }
    }

    // Users stopped by a lower target close what they held once their last step
    // ran. They are kept, not freed, until the run ends: the worker holds their
    // connections' addresses and their timers may still come.
    void release_retired() {
        for (std::size_t i = 0; i < retiring_.size();) {
            if (!retiring_[i]->stopped()) {
                ++i;
                continue;
            }
            retiring_[i]->release();
            retired_.push_back(std::move(retiring_[i]));
            retiring_.erase(retiring_.begin() + static_cast<std::ptrdiff_t>(i));
        }
    }

    const HttpOptions& options_;
    http::Endpoint endpoint_;
    std::unique_ptr<UserFactory> factory_;
    int index_;
    int workers_;
    std::atomic<std::int64_t>& running_;
    RequestStats& stats_;
    const LoadTarget& target_;
    LoadTarget::Plan plan_;
    bool have_plan_ = false;
    Worker* worker_ = nullptr;
    std::int64_t start_ns_ = 0;
    bool stopping_ = false;
    std::int64_t stop_deadline_ns_ = 0;
    bool finished_ = false;
    std::string setup_error_;
    std::vector<std::unique_ptr<http::WebUser>> users_;
    // Stopped by a lower target: still in on_stop, then done and released.
    std::vector<std::unique_ptr<http::WebUser>> retiring_, retired_;
    using Timer = std::pair<std::int64_t, http::WebUser*>;
    std::priority_queue<Timer, std::vector<Timer>, std::greater<>> timers_;
};

}  // namespace

std::uint64_t resident_bytes() {
    std::ifstream statm("/proc/self/statm");
    std::uint64_t size = 0, resident = 0;
    if (!(statm >> size >> resident)) return 0;
    return resident * static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE));
}

HttpUsersScenario::HttpUsersScenario(HttpOptions options, std::unique_ptr<UserKind> kind)
    : options_(std::move(options)), kind_(std::move(kind)), target_(options_.users, options_.spawn_rate) {
    baseline_rss_ = resident_bytes();
}

HttpUsersScenario::~HttpUsersScenario() = default;

std::string HttpUsersScenario::description() const {
    std::string text = fmt::format("{} against {}{}, {} users at {}/s", kind_->describe(), options_.url.origin(),
                                   options_.url.base_path, options_.users, options_.spawn_rate);
    if (kind_->waits_as_told()) text += fmt::format(", wait {}-{} s", options_.wait_min_s, options_.wait_max_s);
    return text;
}

std::size_t HttpUsersScenario::connections() const {
    const auto users = static_cast<std::size_t>(options_.users);
    if (options_.max_connections <= 0) return users;
    return std::min(users, static_cast<std::size_t>(options_.max_connections));
}

std::unique_ptr<Driver> HttpUsersScenario::make_driver(int worker_index, int worker_count) {
    if (stats_.size() < static_cast<std::size_t>(worker_count)) stats_.resize(static_cast<std::size_t>(worker_count));
    auto& stats = stats_[static_cast<std::size_t>(worker_index)];
    stats = std::make_unique<RequestStats>();
    if (started_s_ == 0) started_s_ = unix_now();
    http::Endpoint endpoint;
    endpoint.url = options_.url;
    endpoint.bind_addresses = options_.bind_addresses;
    if (options_.max_connections > 0)
        endpoint.budget = std::make_shared<http::ConnectionBudget>(
            std::max<std::int64_t>(1, options_.max_connections / worker_count));
    std::string tls_error;
    if (options_.url.tls) {
        auto tls = TlsContext::create(MqttTls{options_.cafile, "", ""}, !options_.insecure, !options_.insecure);
        if (tls) {
            endpoint.tls = *tls;
        } else {
            tls_error = tls.status().message();
        }
    }
    auto driver = std::make_unique<UsersDriver>(options_, std::move(endpoint), kind_->factory(options_, worker_index),
                                                worker_index, worker_count, running_users, *stats, target_);
    if (!tls_error.empty()) driver->set_tls_error(tls_error);
    // What each worker holds before its first user (a Lua state) is the process's, not the users'.
    baseline_rss_ = resident_bytes();
    return driver;
}

RequestTable HttpUsersScenario::merged() const {
    RequestTable table;
    for (const auto& s : stats_) {
        if (s) table.merge(s->snapshot());
    }
    return table;
}

void HttpUsersScenario::on_sample(const Sample&) {
    std::int64_t users = running_users.load(std::memory_order_relaxed);
    std::uint64_t rss = resident_bytes();
    if (users >= most_users_ && users > 0) {
        most_users_ = users;
        rss_at_most_users_ = rss;
    }
    history_.push_back(next_history_row(merged().total(), users, static_cast<std::int64_t>(unix_now()), history_));
}

void HttpUsersScenario::finish(const std::vector<Driver*>&, RunReport& report) {
    report.requests = merged();
    report.request_history = std::move(history_);
    report.requests_started_s = started_s_;
    report.clients = options_.users;
    RequestEntry total = report.requests->total();
    report.figures.push_back({"users", "Users (most at once)", static_cast<double>(most_users_), ""});
    report.figures.push_back({"connections_opened", "Connections opened",
                              static_cast<double>(report.totals.get(Counter::connect_attempts)), ""});
    if (most_users_ > 0 && rss_at_most_users_ > baseline_rss_) {
        double per_user = static_cast<double>(rss_at_most_users_ - baseline_rss_) / static_cast<double>(most_users_);
        report.figures.push_back(
            {"memory_per_user_bytes", "Memory per user (resident, above the idle process)", per_user, "bytes"});
    }
    report.figures.push_back({"resident_mb", "Resident memory with the most users",
                              static_cast<double>(rss_at_most_users_) / (1024.0 * 1024.0), "MiB"});
    if (total.failures > 0)
        report.failures.push_back(fmt::format("{} of {} requests failed", total.failures, total.requests));
    std::uint64_t exceptions = 0;
    for (const auto& [reason, n] : report.totals.error_reasons) exceptions += n;
    if (exceptions > 0)
        report.failures.push_back(fmt::format("{} errors in the users' code or setup (exceptions)", exceptions));
    if (total.requests == 0) report.failures.emplace_back("no request was made");
}

}  // namespace lampi::load
