// Debian's Prometheus scraping a running lamp and cloud: lampid on its broker,
// bridged to the cloud broker, lampi-cloud following it. Prometheus reads
// lampi-cloud's /metrics as it would in production, and its own HTTP query API
// answers with the lamp online, so the exposition is one Prometheus takes.
#include <fmt/core.h>

#include <unistd.h>

#include <boost/json.hpp>
#include <cstdlib>
#include <thread>

#include "http_client.h"
#include "lamp_fixture.h"
#include "process.h"

#ifdef LAMPI_CLOUD_BINARY

namespace lampi::testing {
namespace {

namespace json = boost::json;

constexpr const char* kPrometheus = "/usr/bin/prometheus";

// A query's value from Prometheus's HTTP API (/api/v1/query), or nullopt while it has none.
std::optional<double> query(int port, const std::string& promql) {
    auto reply = HttpClient(port).request("GET", "/api/v1/query?query=" + promql);
    if (reply.status != 200) return std::nullopt;
    boost::system::error_code ec;
    json::value answer = json::parse(reply.body, ec);
    if (ec || !answer.is_object() || answer.at("status") != "success") return std::nullopt;
    const json::array& result = answer.at("data").at("result").as_array();
    if (result.empty()) return std::nullopt;
    return std::stod(std::string(result[0].at("value").as_array()[1].as_string()));
}

class PrometheusScrape : public LampOnCloud {
protected:
    void SetUp() override {
        if (access(kPrometheus, X_OK) != 0) {
            if (const char* ci = std::getenv("CI"); ci && std::string(ci) == "true")
                FAIL() << "Debian's prometheus is not installed (scripts/debian-packages.txt; required in CI)";
            GTEST_SKIP() << "Debian's prometheus is not installed (apt-get install prometheus)";
        }
        LampOnCloud::SetUp();
    }
};

TEST_F(PrometheusScrape, PrometheusScrapesTheCloudAndAnswersAQueryAboutTheLamp) {
    const int cloud_port = free_port();
    Process cloud_service({LAMPI_CLOUD_BINARY, "serve", "--db", "sqlite://" + (dir / "cloud.sqlite3"), "--listen",
                           "127.0.0.1:" + std::to_string(cloud_port), "--mqtt-port",
                           std::to_string(cloud_broker->port())},
                          dir / "cloud.log");
    cloud_service.start();
    ASSERT_TRUE(wait_for_port(cloud_port, 10s)) << cloud_service.log();

    const int prometheus_port = free_port();
    write_file(dir / "prometheus.yml", fmt::format(R"(global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: lampi-cloud
    static_configs:
      - targets: ["127.0.0.1:{}"]
)",
                                                   cloud_port));
    Process prometheus({kPrometheus, "--config.file=" + (dir / "prometheus.yml"),
                        "--storage.tsdb.path=" + (dir / "tsdb"),
                        "--web.listen-address=127.0.0.1:" + std::to_string(prometheus_port)},
                       dir / "prometheus.log");
    prometheus.start();
    ASSERT_TRUE(wait_for_port(prometheus_port, 30s)) << prometheus.log();

    // The target is up (the exposition parsed), the lamp shows online, and the
    // scrapes before the last are counted by route (a scrape is counted once answered).
    std::optional<double> up, online, scrapes;
    auto deadline = std::chrono::steady_clock::now() + 60s;
    while (std::chrono::steady_clock::now() < deadline) {
        up = query(prometheus_port, "up%7Bjob%3D%22lampi-cloud%22%7D");
        online = query(prometheus_port, "lampi_lamps_online");
        scrapes =
            query(prometheus_port, "lampi_http_requests_total%7Broute%3D%22%2Fmetrics%22%2Cstatus%3D%22200%22%7D");
        if (up == 1.0 && online == 1.0 && scrapes >= 1.0) break;
        std::this_thread::sleep_for(250ms);
    }
    EXPECT_EQ(up, 1.0) << "Prometheus could not scrape lampi-cloud\n" << prometheus.log();
    EXPECT_EQ(online, 1.0) << "lampi_lamps_online\n" << cloud_service.log();
    EXPECT_GE(scrapes.value_or(0), 1.0);
    // And the lamp going away shows there too.
    lampid->kill9();
    deadline = std::chrono::steady_clock::now() + 30s;
    while (std::chrono::steady_clock::now() < deadline && query(prometheus_port, "lampi_lamps_online") != 0.0)
        std::this_thread::sleep_for(250ms);
    EXPECT_EQ(query(prometheus_port, "lampi_lamps_online"), 0.0);
}

}  // namespace
}  // namespace lampi::testing

#endif
