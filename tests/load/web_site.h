// What the web-user tests share: a real lampi-cloud in-process with user
// "alice", whose login rate is no limit for a load test, and the figures of
// one request name in a run's report.
#pragma once

#include <gtest/gtest.h>

#include <fmt/core.h>

#include <memory>
#include <string>

#include "cloud_server.h"
#include "http/url.h"
#include "process.h"
#include "report/run_report.h"

namespace lampi::testing {

class WebSite : public ::testing::Test {
protected:
    void SetUp() override {
        CloudServerOptions options;
        options.app.login_rate.limit = 1'000'000;
        cloud_ = std::make_unique<CloudServer>("sqlite://" + (dir_ / "db.sqlite3"), options);
        cloud_->add_user("alice");
    }

    load::http::Url site() const { return *load::http::parse_url(fmt::format("http://127.0.0.1:{}", cloud_->port())); }

    static load::RequestEntry entry(const load::RunReport& r, const std::string& method, const std::string& name) {
        auto it = r.requests->entries.find({method, name});
        return it == r.requests->entries.end() ? load::RequestEntry{} : it->second;
    }

    TempDir dir_;
    std::unique_ptr<CloudServer> cloud_;
};

}  // namespace lampi::testing
