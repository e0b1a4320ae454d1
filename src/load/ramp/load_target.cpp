#include "ramp/load_target.h"

#include <algorithm>
#include <cmath>

namespace lampi::load {

int LoadTarget::Plan::due(std::int64_t now, std::int64_t start_ns) const {
    if (users <= from || rate <= 0) return users;
    std::int64_t since = since_ns != 0 ? since_ns : start_ns;
    double elapsed_s = static_cast<double>(std::max<std::int64_t>(0, now - since)) / 1e9;
    double more = std::floor(elapsed_s * rate) + 1;
    return static_cast<int>(std::min<double>(users, from + more));
}

void LoadTarget::set(int users, double rate, std::int64_t now, std::int64_t start_ns) {
    std::lock_guard lock(mutex_);
    set_locked(users, rate, now, start_ns);
}

void LoadTarget::set_locked(int users, double rate, std::int64_t now, std::int64_t start_ns) {
    plan_.from = plan_.due(now, start_ns);
    plan_.users = std::max(0, users);
    plan_.rate = rate;
    plan_.since_ns = now;
    plan_.generation = generation_.load(std::memory_order_relaxed) + 1;
    generation_.store(plan_.generation, std::memory_order_release);
}

void LoadTarget::reset(int users, double rate) {
    std::lock_guard lock(mutex_);
    plan_ = Plan{};
    plan_.users = std::max(0, users);
    plan_.rate = rate;
    plan_.generation = generation_.load(std::memory_order_relaxed) + 1;
    generation_.store(plan_.generation, std::memory_order_release);
}

void LoadTarget::set(int users, double rate, std::int64_t now, std::int64_t start_ns, UserNumbers numbers) {
    std::lock_guard lock(mutex_);
    plan_.numbers = std::make_shared<const UserNumbers>(std::move(numbers));
    set_locked(users, rate, now, start_ns);
}

LoadTarget::Plan LoadTarget::plan() const {
    std::lock_guard lock(mutex_);
    return plan_;
}

}  // namespace lampi::load
