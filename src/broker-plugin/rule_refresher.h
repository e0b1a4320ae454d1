// RuleRefresher: re-asks the cloud about connected password clients on its own
// thread, so the broker's thread never waits on the network for a refresh.
//
// submit() and take_results() are called from the broker's thread; the HTTP calls
// happen on the refresher's thread. A check that fails in transport produces no
// result: the client keeps its last known rules until the cloud answers again.
#pragma once

#include <condition_variable>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "cloud_auth_client.h"

namespace lampi::broker {

class RuleRefresher {
public:
    explicit RuleRefresher(CloudAuthOptions options);
    ~RuleRefresher();

    // Queues a round of checks; returns false (and drops it) while one still runs.
    bool submit(std::vector<Credentials> round);
    std::vector<std::pair<std::string, AuthAnswer>> take_results();

private:
    void run();

    CloudAuthOptions options_;
    std::mutex mutex_;
    std::condition_variable wake_;
    std::vector<Credentials> pending_;
    bool busy_ = false;
    bool stopping_ = false;
    std::vector<std::pair<std::string, AuthAnswer>> results_;
    std::thread thread_;
};

}  // namespace lampi::broker
