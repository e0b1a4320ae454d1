// WorkPool: bounded, and its workers run at the niceness asked for, so password
// hashing yields the processor to the threads serving pages.
#include "work_pool.h"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <future>

namespace lampi::cloud {
namespace {

using namespace std::chrono_literals;

int niceness_seen_by_a_job(WorkPool& pool) {
    std::promise<int> seen;
    EXPECT_TRUE(pool.try_submit([&] {
        errno = 0;
        seen.set_value(::getpriority(PRIO_PROCESS, static_cast<id_t>(::gettid())));
    }));
    auto value = seen.get_future();
    EXPECT_EQ(value.wait_for(10s), std::future_status::ready);
    return value.get();
}

TEST(WorkPool, WorkersRunAtTheNicenessAskedForAndTheCallerKeepsItsOwn) {
    int own = ::getpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()));
    WorkPool hashing(1, 1, kHashNiceness);
    EXPECT_EQ(niceness_seen_by_a_job(hashing), own + kHashNiceness);
    WorkPool plain(1, 1);
    EXPECT_EQ(niceness_seen_by_a_job(plain), own);
    EXPECT_EQ(::getpriority(PRIO_PROCESS, static_cast<id_t>(::gettid())), own);
}

TEST(WorkPool, AFullPoolRefusesAtOnce) {
    WorkPool pool(1, 1);
    std::promise<void> release;
    std::shared_future<void> released = release.get_future().share();
    std::atomic<int> ran{0};
    auto blocker = [&] {
        released.wait();
        ++ran;
    };
    EXPECT_TRUE(pool.try_submit(blocker));  // runs
    EXPECT_TRUE(pool.try_submit(blocker));  // waits: either the worker has it or it is queued
    // Whichever way the worker took them, one running and one queued is the most it holds.
    bool third = pool.try_submit(blocker);
    bool fourth = pool.try_submit(blocker);
    EXPECT_FALSE(third && fourth) << "a pool of 1 thread and 1 queued job took 4 jobs";
    release.set_value();
    pool.stop();
    EXPECT_EQ(ran.load(), 2 + (third ? 1 : 0) + (fourth ? 1 : 0));
}

}  // namespace
}  // namespace lampi::cloud
