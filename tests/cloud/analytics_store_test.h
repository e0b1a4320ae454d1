// The fixture of the analytics tests that need only the EventStore: one on the
// fresh database of DatabaseTest.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "analytics/event_store.h"
#include "database_test.h"
#include "storage/store.h"

namespace lampi::cloud {

class AnalyticsStoreTest : public testing::DatabaseTest {
protected:
    void SetUp() override {
        DatabaseTest::SetUp();
        if (IsSkipped()) return;
        auto store = storage::Store::open(url_, 2);
        ASSERT_TRUE(store) << store.status().message();
        store_ = std::move(store).value();
        events_ = std::make_unique<analytics::EventStore>(store_->database());
    }
    std::unique_ptr<storage::Store> store_;
    std::unique_ptr<analytics::EventStore> events_;
};

}  // namespace lampi::cloud
