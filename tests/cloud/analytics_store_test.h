// The fixture of the analytics tests that need only the EventStore: a fresh
// database on each backend the parameter names (skipped where it is missing).
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "analytics/event_store.h"
#include "postgres_server.h"
#include "process.h"
#include "storage/store.h"

namespace lampi::cloud {

class AnalyticsStoreTest : public ::testing::TestWithParam<std::string> {
protected:
    void SetUp() override {
        std::string why;
        if (!testing::backend_available(GetParam(), why)) GTEST_SKIP() << why;
        url_ = testing::fresh_database_url(GetParam(), dir_.path());
        auto store = storage::Store::open(url_, 2);
        ASSERT_TRUE(store) << store.status().message();
        store_ = std::move(store).value();
        events_ = std::make_unique<analytics::EventStore>(store_->database());
    }
    lampi::testing::TempDir dir_;
    std::string url_;  // the database's, to open it again as another process would
    std::unique_ptr<storage::Store> store_;
    std::unique_ptr<analytics::EventStore> events_;
};

}  // namespace lampi::cloud
