// The fixture of the tests that drive a whole lampi-cloud over HTTP: a CloudServer
// on the fresh database of DatabaseTest, which a test may start again with options
// of its own.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <utility>

#include "cloud_server.h"
#include "database_test.h"
#include "http_client.h"

namespace lampi::cloud {

class CloudHttpTest : public testing::DatabaseTest {
protected:
    void SetUp() override {
        DatabaseTest::SetUp();
        if (IsSkipped()) return;
        start({});
    }
    // Starts the server, or stops it and starts another on the same database. A
    // suite whose every server needs some options adds them in its override, so
    // a test's own start keeps them.
    virtual void start(testing::CloudServerOptions options) {
        server_.reset();
        server_ = std::make_unique<testing::CloudServer>(url_, std::move(options));
    }
    testing::BrowserSession logged_in(const std::string& name,
                                      const std::string& password = testing::CloudServer::kPassword) {
        testing::BrowserSession s(server_->port());
        EXPECT_TRUE(s.login(name, password)) << name;
        return s;
    }

    std::unique_ptr<testing::CloudServer> server_;
};

}  // namespace lampi::cloud
