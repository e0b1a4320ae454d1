// Lua scenarios (`lampi-load http -f scenario.lua`) against a real lampi-cloud
// in-process: weights, on_start/on_stop, checks that fail requests, errors that
// name file:line without ending the run, CSV rows handed out, funnels; and the
// committed example scenario.
#include <gtest/gtest.h>

#include <fmt/core.h>
#include <fmt/ranges.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <lua.hpp>
#include <regex>

#include "certificate_authority.h"
#include "cli_run.h"
#include "cloud_server.h"
#include "lampi/hmac.h"
#include "loopback_ca.h"
#include "lua/csv_feed.h"
#include "lua/lua_json.h"
#include "mqtt_harness.h"
#include "process.h"
#include "run/runner.h"
#include "scenario/http_lua.h"
#include "scenario/scenario_files.h"
#include "web_site.h"

namespace {

// The names http_test.cpp uses too: both run users on web_site.h's site, one on a
// set course, one from a Lua script.
using lampi::load::Counter;
using lampi::load::HttpLuaScenario;
using lampi::load::HttpOptions;
using lampi::load::RequestEntry;
using lampi::load::RunReport;
using lampi::testing::CloudServer;
using lampi::testing::TempDir;

class LuaUsers : public lampi::testing::WebSite {
protected:
    HttpOptions options(int users, double seconds) {
        HttpOptions o;
        o.url = site();
        o.users = users;
        o.spawn_rate = 100;
        o.run_time_s = seconds;
        return o;
    }

    std::string write(const std::string& name, const std::string& text) {
        std::ofstream(dir_ / name) << text;
        return dir_ / name;
    }

    RunReport run(const std::string& script, HttpOptions o) {
        lampi::Status checked = lampi::load::check_lua_scenario(script, o);
        EXPECT_TRUE(checked) << checked.message();
        HttpLuaScenario scenario(std::move(o), script);
        lampi::load::RunSettings settings;
        settings.threads = 2;
        settings.hard_limit_s = 30;
        return lampi::load::run_scenario(scenario, settings);
    }
};

TEST_F(LuaUsers, TasksAreChosenInProportionToTheirWeights) {
    std::string script = write("weights.lua", R"(
wait = 0
tasks = {
  {weight = 3, run = function(user) user:get("/healthz", {name = "three"}) end},
  {weight = 1, run = function(user) user:get("/healthz", {name = "one"}) end},
}
)");
    RunReport r = run(script, options(4, 1.5));
    ASSERT_TRUE(r.requests);
    EXPECT_TRUE(r.ok()) << fmt::format("{}", fmt::join(r.failures, "; "));
    double three = static_cast<double>(entry(r, "GET", "three").requests);
    double one = static_cast<double>(entry(r, "GET", "one").requests);
    ASSERT_GT(one + three, 400) << "too few requests to judge the weights";
    EXPECT_NEAR(three / (one + three), 0.75, 0.05);
}

TEST_F(LuaUsers, OnStartAndOnStopRunOncePerUserAndOnStopMayMakeRequests) {
    std::string script = write("hooks.lua", R"(
wait = {0.05, 0.1}
function on_start(user) user:get("/healthz", {name = "on_start " .. user.number}) end
function on_stop(user)
  user:sleep(0.05)
  user:get("/healthz", {name = "on_stop"})
end
tasks = {function(user) user:get("/healthz", {name = "task"}) end}
)");
    const int users = 5;
    RunReport r = run(script, options(users, 1));
    ASSERT_TRUE(r.requests);
    EXPECT_TRUE(r.ok()) << fmt::format("{}", fmt::join(r.failures, "; "));
    for (int n = 0; n < users; ++n) EXPECT_EQ(entry(r, "GET", fmt::format("on_start {}", n)).requests, 1u) << n;
    EXPECT_EQ(entry(r, "GET", "on_stop").requests, static_cast<std::uint64_t>(users));
    EXPECT_EQ(entry(r, "GET", "on_stop").failures, 0u);
    EXPECT_GE(entry(r, "GET", "task").requests, static_cast<std::uint64_t>(users) * 3);
}

// More users than sockets (--max-connections): once the run ends, the users' last
// steps still take their turns for a socket, well within the stop timeout.
TEST_F(LuaUsers, OnStopRequestsOfUsersSharingSocketsAreMadeInTurn) {
    std::string script = write("turns.lua", R"(
wait = {0.05, 0.1}
function on_stop(user) user:get("/healthz", {name = "on_stop"}) end
tasks = {function(user) user:get("/healthz", {name = "task"}) end}
)");
    const int users = 6;
    HttpOptions o = options(users, 1);
    o.max_connections = 2;  // one socket for each of the two worker threads
    RunReport r = run(script, o);
    ASSERT_TRUE(r.requests);
    EXPECT_TRUE(r.ok()) << fmt::format("{}", fmt::join(r.failures, "; "));
    EXPECT_EQ(entry(r, "GET", "on_stop").requests, static_cast<std::uint64_t>(users));
    EXPECT_LE(r.totals.peak_connections, 2);
    EXPECT_LT(r.duration_s, o.stop_timeout_s / 2) << "the last steps waited for the stop timeout";
}

TEST_F(LuaUsers, AFailingCheckCountsTheRequestAsFailedWithItsMessage) {
    std::string script = write("checks.lua", R"(
wait = 0.1
tasks = {function(user)
  user:get("/healthz", {name = "string", check = function(r) return "status was " .. r.status end})
  user:get("/healthz", {name = "false", check = function(r) return false, "no lamps" end})
  user:get("/healthz", {name = "json", check = function(r)
    if r:json().status ~= "ok" then return "not ok" end
    if not r.headers["content-type"]:find("application/json", 1, true) then return "not JSON" end
  end})
  -- A 404 the scenario expects is a success, as catch_response's response.success().
  user:get("/no-such-page", {name = "expected 404", check = function(r) return r.status == 404 end})
  user:get("/no-such-page", {name = "plain 404"})
end}
)");
    RunReport r = run(script, options(2, 1));
    ASSERT_TRUE(r.requests);
    RequestEntry string_check = entry(r, "GET", "string");
    ASSERT_GE(string_check.requests, 2u);
    EXPECT_EQ(string_check.failures, string_check.requests);
    EXPECT_EQ((r.requests->failures[{"GET", "string", "CatchResponseError('status was 200')"}]), string_check.failures);
    EXPECT_EQ((r.requests->failures[{"GET", "false", "CatchResponseError('no lamps')"}]),
              entry(r, "GET", "false").requests);
    EXPECT_EQ(entry(r, "GET", "json").failures, 0u);
    EXPECT_EQ(entry(r, "GET", "expected 404").failures, 0u);
    RequestEntry plain = entry(r, "GET", "plain 404");
    EXPECT_EQ(plain.failures, plain.requests);
    std::string http_error =
        fmt::format("HTTPError('404 Client Error: Not Found for url: http://127.0.0.1:{}/no-such-page')",
                    cloud_->port());
    EXPECT_EQ((r.requests->failures[{"GET", "plain 404", http_error}]), plain.failures);
    EXPECT_FALSE(r.ok());
}

TEST_F(LuaUsers, ALuaErrorNamesFileAndLineIsCountedAndTheUserGoesOn) {
    std::string script = write("errors.lua", R"(wait = 0.05
local function broken(user)
  local lamp = nil
  return lamp.name
end
tasks = {
  broken,
  function(user) error("no lamp today") end,
  function(user) user:get("nope") end,
  function(user) user:get("/healthz", {name = "after"}) end,
  function(user) if user.number == 1 and not endless_once then endless_once = true; while true do end end end,
}
)");
    RunReport r = run(script, options(2, 3));
    ASSERT_TRUE(r.requests);
    const auto& reasons = r.totals.error_reasons;
    auto count = [&](const std::string& reason) {
        auto it = reasons.find(reason);
        return it == reasons.end() ? 0u : it->second;
    };
    EXPECT_GE(count("errors.lua:4: attempt to index a nil value (local 'lamp')"), 1u) << fmt::format("{}", reasons);
    EXPECT_GE(count("errors.lua:8: no lamp today"), 1u) << fmt::format("{}", reasons);
    EXPECT_GE(count("errors.lua:9: user:request: 'nope' is not a path (/...) on the site under test"), 1u)
        << fmt::format("{}", reasons);
    // An endless loop costs its user that task, not the worker every other user shares.
    EXPECT_EQ(count("errors.lua:11: ran 2 s without waiting for anything (an endless loop?)"), 1u)
        << fmt::format("{}", reasons);
    EXPECT_GE(entry(r, "GET", "after").requests, 4u);
    EXPECT_EQ(entry(r, "GET", "after").failures, 0u);
    EXPECT_FALSE(r.ok());

    // On the command line: Locust's error table and PREFIX_exceptions.csv, exit code 1.
    auto cli =
        lampi::testing::lampi_load(fmt::format("http --host http://127.0.0.1:{} -u 1 -r 10 -t 1 -f {} --quiet --csv {}",
                                               cloud_->port(), script, dir_ / "errors"));
    EXPECT_EQ(cli.exit_code, 1) << cli.output;
    std::ifstream csv(dir_ / "errors_exceptions.csv");
    std::string text((std::istreambuf_iterator<char>(csv)), std::istreambuf_iterator<char>());
    // One user for 1 s picks some of the failing tasks at random: any of them makes a
    // row in Locust's shape (count, message, traceback, nodes).
    static const std::regex kRow(R"((^|\n)[0-9]+,errors\.lua:[0-9]+: [^\r\n]*,,local\r\n)");
    EXPECT_TRUE(std::regex_search(text, kRow)) << text;
}

TEST_F(LuaUsers, ASetupErrorNamesFileAndLineBeforeAnyUserStarts) {
    HttpOptions o = options(1, 1);
    lampi::Status syntax =
        lampi::load::check_lua_scenario(write("syntax.lua", "tasks = {\n  function(user) user:get('/' end\n}\n"), o);
    EXPECT_EQ(syntax.message(), "syntax.lua:2: ')' expected near 'end'");
    lampi::Status no_tasks = lampi::load::check_lua_scenario(write("empty.lua", "wait = 1\n"), o);
    EXPECT_NE(no_tasks.message().find("empty.lua: the scenario defines no tasks"), std::string::npos)
        << no_tasks.message();
    lampi::Status no_file =
        lampi::load::check_lua_scenario(write("nofile.lua", "\nlocal rows = csv('missing.csv')\n"), o);
    EXPECT_NE(no_file.message().find("nofile.lua:2: csv: "), std::string::npos) << no_file.message();
    EXPECT_NE(no_file.message().find("missing.csv: cannot read it"), std::string::npos) << no_file.message();
    lampi::Status no_scenario = lampi::load::check_lua_scenario(dir_ / "absent.lua", o);
    EXPECT_NE(no_scenario.message().find("absent.lua: cannot read the scenario file: No such file or directory"),
              std::string::npos)
        << no_scenario.message();
    auto cli = lampi::testing::lampi_load(
        fmt::format("http --host http://127.0.0.1:{} -u 1 -t 1 -f {} --quiet", cloud_->port(), dir_ / "syntax.lua"));
    EXPECT_EQ(cli.exit_code, 2) << cli.output;
    EXPECT_NE(cli.output.find("syntax.lua:2: ')' expected near 'end'"), std::string::npos) << cli.output;
}

TEST_F(LuaUsers, CsvRowsAreHandedOutInTurnOverEveryWorker) {
    std::string rows = "id,colour\n";
    for (int i = 0; i < 6; ++i) rows += fmt::format("{},\"c, {}\"\n", i, i);
    write("rows.csv", rows);
    std::string script = write("rows.lua", R"(
local rows = csv("rows.csv")
wait = 10
function on_start(user)
  local row = rows:next()
  user:get("/healthz", {name = "row " .. row.id .. " " .. row.colour .. " of " .. #rows})
end
tasks = {function(user) end}
)");
    RunReport r = run(script, options(6, 0.5));
    ASSERT_TRUE(r.requests);
    for (int i = 0; i < 6; ++i) EXPECT_EQ(entry(r, "GET", fmt::format("row {} c, {} of 6", i, i)).requests, 1u) << i;
}

TEST_F(LuaUsers, AFunnelGoesOnToEachStepWithItsProbability) {
    std::string script = write("funnel.lua", R"(
wait = 0
local function step(name) return function(user) user:get("/healthz", {name = name}) end end
tasks = {funnel{step("view"), 0.5, step("choose"), 0.2, step("buy")}}
)");
    RunReport r = run(script, options(4, 1.5));
    ASSERT_TRUE(r.requests);
    double view = static_cast<double>(entry(r, "GET", "view").requests);
    double choose = static_cast<double>(entry(r, "GET", "choose").requests);
    double buy = static_cast<double>(entry(r, "GET", "buy").requests);
    ASSERT_GT(view, 400) << "too few requests to judge the proportions";
    EXPECT_NEAR(choose / view, 0.5, 0.06);
    EXPECT_NEAR(buy / choose, 0.2, 0.06);
    std::string bad = write("bad_funnel.lua", "tasks = {\n  funnel{function() end, 2}\n}\n");
    lampi::Status s = lampi::load::check_lua_scenario(bad, options(1, 1));
    EXPECT_NE(s.message().find("bad_funnel.lua:2: funnel: item 2 must be the probability"), std::string::npos)
        << s.message();
}

TEST_F(LuaUsers, TheExampleScenarioLogsInWithItsCsvAccountsAndLogsOutAtTheEnd) {
    std::filesystem::copy(LAMPI_LOAD_SCENARIOS, dir_.path(), std::filesystem::copy_options::recursive);
    std::filesystem::remove(dir_ / "accounts.csv");
    write("accounts.csv", fmt::format("username,password\nalice,{}\n", CloudServer::kPassword));
    // Long enough for every login to end first on a loaded machine. Its wait is
    // 5-9 s, so each user runs one task after on_start; one in 180 of those
    // logs out and in again (the funnel), so each login has its logout.
    RunReport r = run(dir_ / "course.lua", options(3, 2.5));
    ASSERT_TRUE(r.requests);
    EXPECT_TRUE(r.ok()) << fmt::format("{}", fmt::join(r.failures, "; "));
    auto logins = entry(r, "POST", "/accounts/login/?next=/");
    auto logouts = entry(r, "POST", "/logout/");
    EXPECT_GE(logins.requests, 3u);
    EXPECT_LE(logins.requests, 6u);
    EXPECT_EQ(logins.failures, 0u);
    EXPECT_EQ(logouts.requests, logins.requests) << "every user logs out of each login";
    EXPECT_EQ(logouts.failures, 0u);
    // Keep-alive: on_stop reuses the user's connection.
    EXPECT_EQ(r.totals.get(Counter::connect_attempts), 3u);
}

TEST_F(LuaUsers, AUserConnectsPublishesSubscribesAndReceivesOverMqttBesideItsRequests) {
    lampi::testing::TestBroker broker(dir_.path(), "broker");
    std::string script = write("mqtt.lua", fmt::format(R"(
wait = 0.05
function on_start(user)
  user.mq = assert(user:mqtt{{port = {}, client_id = "lua-" .. user.number}})
  assert(user.mq:subscribe("lua/" .. user.number, 1))
end
tasks = {{function(user)
  assert(user.mq:publish("lua/" .. user.number, "hello " .. user.number, {{qos = 1, name = "publish"}}))
  local message = user.mq:receive(2)
  if message and message.payload == "hello " .. user.number and message.topic == "lua/" .. user.number then
    user:get("/healthz", {{name = "echoed"}})
  end
end}}
function on_stop(user) user.mq:disconnect() end
)",
                                                       broker.port()));
    const int users = 3;
    RunReport r = run(script, options(users, 1.5));
    ASSERT_TRUE(r.requests);
    EXPECT_TRUE(r.ok()) << fmt::format("{} {}", fmt::join(r.failures, "; "), r.totals.error_reasons);
    EXPECT_EQ(entry(r, "MQTT", "connect").requests, static_cast<std::uint64_t>(users));
    EXPECT_EQ(entry(r, "MQTT", "connect").failures, 0u);
    for (int n = 0; n < users; ++n) EXPECT_EQ(entry(r, "MQTT", fmt::format("subscribe:lua/{}", n)).requests, 1u);
    RequestEntry published = entry(r, "MQTT", "publish");
    EXPECT_GE(published.requests, static_cast<std::uint64_t>(users) * 5);
    EXPECT_EQ(published.failures, 0u);
    // Each publish comes back to its own user; the last may be cut off by the end of the run.
    EXPECT_GE(entry(r, "GET", "echoed").requests + users, published.requests);

    std::string refused = write("refused.lua", fmt::format(R"(
wait = 0.2
tasks = {{function(user)
  local client, why = user:mqtt{{port = {}}}
  if client == nil then user:get("/healthz", {{name = "told " .. why:sub(1, 15)}}) end
end}}
)",
                                                           lampi::testing::free_port()));
    RunReport r2 = run(refused, options(1, 0.5));
    ASSERT_TRUE(r2.requests);
    RequestEntry connect = entry(r2, "MQTT", "connect");
    EXPECT_GE(connect.requests, 1u);
    EXPECT_EQ(connect.failures, connect.requests);
    EXPECT_EQ(entry(r2, "GET", "told ConnectionError").requests, connect.requests);
}

TEST_F(LuaUsers, MqttOverTlsVerifiesTheBrokerAndAWrongCaFailsTheConnectAtItsLine) {
    // A mutual-TLS broker with a certificate from one CA, and a second CA that signed nothing of it.
    auto made = lampi::testing::make_loopback_ca(dir_.path());
    ASSERT_TRUE(made) << made.status().message();
    lampi::ca::CertificateAuthority& ca = made.value().authority;
    const lampi::ca::IssuedFiles* server_files = &made->server;
    auto other = lampi::ca::CertificateAuthority::create(dir_ / "other-ca");
    ASSERT_TRUE(other) << other.status().message();
    auto client = ca.issue_client("lua-operator", dir_ / "client");
    ASSERT_TRUE(client) << client.status().message();
    lampi::stack::BrokerSettings settings;
    lampi::stack::ListenerTls tls;
    tls.ca_file = ca.ca_cert_path();
    tls.cert_file = server_files->cert_path;
    tls.key_file = server_files->key_path;
    tls.require_certificate = true;
    tls.use_identity_as_username = true;
    settings.tls = tls;
    lampi::testing::TestBroker broker(dir_.path(), "tls-broker", settings);
    auto beside_scenario = [&](const std::string& path) {
        return std::filesystem::relative(path, dir_.path()).string();
    };

    // Paths relative to the scenario's folder, as csv() takes them.
    std::string script =
        write("tls.lua",
              fmt::format(R"(wait = 0.05
local tls = {{port = {0}, cert = "{1}", key = "{2}"}}
local function with(fields) local t = {{}}; for k, v in pairs(tls) do t[k] = v end; for k, v in pairs(fields) do t[k] = v end; return t end
tasks = {{function(user)
  local good = assert(user:mqtt(with{{cafile = "{3}", client_id = "tls-" .. user.number}}))
  assert(good:publish("tls/" .. user.number, "over tls", {{qos = 1, name = "publish"}}))
  good:disconnect()
  local wrong, why = user:mqtt(with{{cafile = "{4}"}})
  if wrong == nil then user:get("/healthz", {{name = "after the wrong CA"}}) end
  local any = user:mqtt(with{{insecure = true, client_id = "insecure-" .. user.number}})
  if any then user:get("/healthz", {{name = "insecure connected"}}); any:disconnect() end
  local uncertified, why_not = user:mqtt{{port = {0}, cafile = "{3}"}}
  if uncertified == nil and why_not:find("user:mqtt's cert and key", 1, true) then user:get("/healthz", {{name = "told to give a certificate"}}) end
  user:mqtt(with{{cafile = "missing.pem"}})
end}}
)",
                          broker.port(), beside_scenario(client->cert_path), beside_scenario(client->key_path),
                          beside_scenario(ca.ca_cert_path()), beside_scenario(other->ca_cert_path())));
    RunReport r = run(script, options(2, 1.5));
    ASSERT_TRUE(r.requests);
    lampi::load::RequestEntry published = entry(r, "MQTT", "publish");
    EXPECT_GE(published.requests, 2u);
    EXPECT_EQ(published.failures, 0u);

    // The wrong CA: the connect failed, named with the scenario's line and what to check.
    std::uint64_t wrong_ca = 0;
    std::string failures;
    for (const auto& [key, n] : r.requests->failures) {
        failures += fmt::format("{} x{}\n", std::get<2>(key), n);
        if (std::get<1>(key) != "connect") continue;
        const std::string& error = std::get<2>(key);
        if (error.starts_with("ConnectionError('tls.lua:8: TLS handshake with 127.0.0.1:") &&
            error.find("the broker's certificate was not accepted") != std::string::npos &&
            error.find("check that user:mqtt's cafile is the CA that signed the broker's certificate") !=
                std::string::npos)
            wrong_ca += n;
    }
    lampi::load::RequestEntry connects = entry(r, "MQTT", "connect");
    EXPECT_GE(wrong_ca, 2u) << failures;
    // A cafile alone is TLS too: the mutual-TLS listener then wants the certificate it lacks.
    std::uint64_t uncertified = entry(r, "GET", "told to give a certificate").requests;
    EXPECT_GE(uncertified, 2u) << failures;
    EXPECT_GE(connects.failures, wrong_ca + uncertified) << failures;
    // The run went on past it, and insecure = true accepts the certificate the wrong CA did not.
    // (A task the end of the run cut short may have missed its last request.)
    EXPECT_GE(entry(r, "GET", "after the wrong CA").requests, 2u);
    EXPECT_LE(entry(r, "GET", "after the wrong CA").requests, wrong_ca);
    EXPECT_GE(entry(r, "GET", "insecure connected").requests, 2u);
    // A CA file that is not there is the scenario's mistake: an exception at its line.
    bool missing_reported = false;
    for (const auto& [reason, n] : r.totals.error_reasons) {
        if (reason.starts_with("tls.lua:14: user:mqtt: cannot load the CA certificate") &&
            reason.find("missing.pem") != std::string::npos &&
            reason.find("check that user:mqtt's cafile names a readable PEM file") != std::string::npos)
            missing_reported = true;
    }
    EXPECT_TRUE(missing_reported) << fmt::format("{}", r.totals.error_reasons);
    // The broker saw the client certificate's CN as the user name.
    EXPECT_NE(broker.log().find("u'lua-operator'"), std::string::npos) << broker.log();
}

TEST(LuaExamples, EveryExampleScenarioLoads) {
    lampi::testing::TempDir dir;
    std::filesystem::copy(LAMPI_LOAD_SCENARIOS, dir.path(), std::filesystem::copy_options::recursive);
    HttpOptions o;
    int scenarios = 0;
    for (const auto& file : std::filesystem::directory_iterator(dir.path())) {
        if (file.path().extension() != ".lua") continue;
        ++scenarios;
        lampi::Status loaded = lampi::load::check_lua_scenario(file.path().string(), o);
        EXPECT_TRUE(loaded) << loaded.message();
    }
    EXPECT_GE(scenarios, 2);
}

TEST(LuaData, CsvFieldsFollowRfc4180AndErrorsNameTheLine) {
    auto table = lampi::load::lua::parse_csv("a,b\r\n1,\"x, \"\"y\"\"\"\r\n\n2,\"two\nlines\"\n");
    ASSERT_TRUE(table) << table.status().message();
    EXPECT_EQ(table->columns, (std::vector<std::string>{"a", "b"}));
    ASSERT_EQ(table->rows.size(), 2u);
    EXPECT_EQ(table->rows[0][1], "x, \"y\"");
    EXPECT_EQ(table->rows[1][1], "two\nlines");
    EXPECT_EQ(lampi::load::lua::parse_csv("a,b\n1\n").status().message(), "line 2: 1 fields where the header names 2");
    EXPECT_EQ(lampi::load::lua::parse_csv("a\n\"open\n").status().message(), "line 2: a quote is never closed");
}

TEST(LuaData, JsonRoundTripsThroughLuaTables) {
    lua_State* L = luaL_newstate();
    ASSERT_TRUE(lampi::load::lua::push_json(L, R"({"lamps":[{"on":true,"h":0.5}],"n":3,"none":null})"));
    auto text = lampi::load::lua::encode_json(L, -1);
    ASSERT_TRUE(text) << text.status().message();
    EXPECT_NE(text->find(R"("lamps":[{)"), std::string::npos) << *text;
    EXPECT_EQ(text->find("none"), std::string::npos) << *text;
    EXPECT_FALSE(lampi::load::lua::push_json(L, "{nope"));
    lua_close(L);
}

// Each level of a nested table takes Lua stack slots, which the encoder must ask
// for: at 60 levels (far past Lua's 20 guaranteed slots) the encoding is whole,
// and a table that holds itself is refused with a message, not an overflow
// (ASan would report one in the sanitized run).
// Lua's memory with a guard after every block. A write past the end of Lua's
// stack (an encoder that never asked Lua for room) spoils the guard behind the
// stack's block, which is looked at whenever Lua moves or frees it: a plain
// build then sees what otherwise only AddressSanitizer would.
struct GuardedLuaMemory {
    static constexpr std::size_t kGuardBytes = 64;
    static constexpr unsigned char kGuard = 0xA5;
    bool spoiled = false;

    static void* allocate(void* self, void* block, std::size_t old_size, std::size_t new_size) {
        auto* memory = static_cast<GuardedLuaMemory*>(self);
        if (block) {
            const auto* guard = static_cast<const unsigned char*>(block) + old_size;
            for (std::size_t i = 0; i < kGuardBytes; ++i) memory->spoiled = memory->spoiled || guard[i] != kGuard;
        }
        if (new_size == 0) {
            std::free(block);
            return nullptr;
        }
        void* moved = std::realloc(block, new_size + kGuardBytes);
        if (moved) std::memset(static_cast<unsigned char*>(moved) + new_size, kGuard, kGuardBytes);
        return moved;
    }
};

TEST(LuaData, DeeplyNestedTablesEncodeWithinTheStackAndATableThatHoldsItselfIsRefused) {
    GuardedLuaMemory memory;
    lua_State* L = lua_newstate(&GuardedLuaMemory::allocate, &memory);
    ASSERT_NE(L, nullptr);
    luaL_openlibs(L);
    ASSERT_EQ(luaL_dostring(L, R"(
        local t = {leaf = true}
        for i = 1, 60 do t = {t} end
        deep = t
        loop = {}
        loop.self = loop)"),
              LUA_OK)
        << lua_tostring(L, -1);
    lua_getglobal(L, "deep");
    auto text = lampi::load::lua::encode_json(L, -1);
    ASSERT_TRUE(text) << text.status().message();
    EXPECT_EQ(*text, std::string(60, '[') + R"({"leaf":true})" + std::string(60, ']'));
    lua_pop(L, 1);
    const int top = lua_gettop(L);
    lua_getglobal(L, "loop");
    text = lampi::load::lua::encode_json(L, -1);
    ASSERT_FALSE(text);
    EXPECT_NE(text.status().message().find("nested more than 64 deep"), std::string::npos) << text.status().message();
    EXPECT_EQ(lua_gettop(L), top + 1) << "the failed encoding left the stack unbalanced";
    lua_close(L);
    EXPECT_FALSE(memory.spoiled) << "something wrote past the end of a block of Lua's memory (its stack?)";
}

}  // namespace

// What a controller pins for its workers: the CSV files and modules a scenario
// reads as it loads, by name beside the scenario and by content.
TEST(ScenarioData, TheFilesAScenarioReadsAsItLoadsAreDigestedByNameAndContent) {
    TempDir dir;
    std::filesystem::create_directories(dir / "lib");
    const std::string module = "return {greeting = 'hi'}\n";
    lampi::testing::write_file(dir / "lib/common.lua", module);
    lampi::testing::write_file(dir / "people.csv", "name\nalice\n");
    lampi::testing::write_file(dir / "later.csv", "name\nbob\n");
    const std::string script = dir / "scenario.lua";
    lampi::testing::write_file(script,
                               "local common = require('lib.common')\nlocal people = csv('people.csv')\n"
                               "tasks = {function(user) local later = csv('later.csv') end}\n");
    auto files = lampi::load::scenario_data_files(script, HttpOptions{});
    ASSERT_TRUE(files) << files.status().message();
    ASSERT_EQ(files->size(), 2u) << lampi::load::describe_scenario_data(*files)
                                 << " (later.csv is read only by a task)";
    EXPECT_EQ((*files)[0].name, "lib/common.lua");
    EXPECT_EQ((*files)[0].sha256, lampi::sha256_hex(module));
    EXPECT_EQ((*files)[1].name, "people.csv");
    const std::string digest = lampi::load::scenario_data_digest(*files);
    EXPECT_EQ(digest.size(), 64u);

    lampi::testing::write_file(dir / "people.csv", "name\nalicia\n");
    auto edited = lampi::load::scenario_data_files(script, HttpOptions{});
    ASSERT_TRUE(edited) << edited.status().message();
    EXPECT_NE(lampi::load::scenario_data_digest(*edited), digest);
    lampi::testing::write_file(dir / "people.csv", "name\nalice\n");
    auto again = lampi::load::scenario_data_files(script, HttpOptions{});
    ASSERT_TRUE(again) << again.status().message();
    EXPECT_EQ(lampi::load::scenario_data_digest(*again), digest);

    lampi::testing::write_file(script, "tasks = {function(user) end}\n");
    auto none = lampi::load::scenario_data_files(script, HttpOptions{});
    ASSERT_TRUE(none) << none.status().message();
    EXPECT_TRUE(none->empty());
    EXPECT_EQ(lampi::load::scenario_data_digest(*none), "");
}
