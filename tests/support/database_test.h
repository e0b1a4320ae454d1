// The fixture of the tests that run on each database backend the parameter names
// ("sqlite" or "postgres"): a test is skipped where its backend is missing, and
// otherwise gets a fresh, empty database of its own.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "postgres_server.h"
#include "process.h"

namespace lampi::testing {

class DatabaseTest : public ::testing::TestWithParam<std::string> {
protected:
    // A suite's own SetUp calls this first and stops there if IsSkipped().
    void SetUp() override {
        std::string why;
        if (!backend_available(GetParam(), why)) GTEST_SKIP() << why;
        url_ = fresh_database_url(GetParam(), dir_.path());
    }

    TempDir dir_;
    std::string url_;  // the database's, to open it again as another process would
};

}  // namespace lampi::testing
