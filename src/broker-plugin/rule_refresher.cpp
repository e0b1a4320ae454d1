#include "rule_refresher.h"

namespace lampi::broker {

RuleRefresher::RuleRefresher(CloudAuthOptions options) : options_(std::move(options)), thread_([this] { run(); }) {}

RuleRefresher::~RuleRefresher() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    thread_.join();
}

bool RuleRefresher::submit(std::vector<Credentials> round) {
    {
        std::lock_guard lock(mutex_);
        if (busy_) return false;
        pending_ = std::move(round);
        busy_ = true;
    }
    wake_.notify_all();
    return true;
}

std::vector<std::pair<std::string, AuthAnswer>> RuleRefresher::take_results() {
    std::lock_guard lock(mutex_);
    return std::exchange(results_, {});
}

void RuleRefresher::run() {
    CloudAuthClient cloud(options_);
    std::unique_lock lock(mutex_);
    while (true) {
        wake_.wait(lock, [this] { return stopping_ || busy_; });
        if (stopping_) return;
        std::vector<Credentials> round = std::move(pending_);
        lock.unlock();
        std::vector<std::pair<std::string, AuthAnswer>> answers;
        for (const Credentials& credentials : round) {
            auto answer = cloud.check_user(credentials, "refresh");
            if (answer) answers.emplace_back(credentials.username, std::move(answer).value());
        }
        lock.lock();
        for (auto& answer : answers) results_.push_back(std::move(answer));
        busy_ = false;
    }
}

}  // namespace lampi::broker
