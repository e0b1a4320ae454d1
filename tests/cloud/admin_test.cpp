// The operators' admin area over HTTP, on SQLite and PostgreSQL: who may enter,
// CSRF on every change, disabling a user (their login, session, API token and
// broker credential stop at once), one-time password reset links, lamps assigned
// and released, and the audit log that records each action.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "admin/password_resets.h"
#include "cloud_http_test.h"
#include "cloud_server.h"
#include "http_client.h"
#include "json_reply.h"
#include "process.h"

namespace lampi::cloud {
namespace {

namespace json = boost::json;
// The same using-declarations as api_test.cpp's: both drive the server as a browser would.
using testing::BrowserSession;
using testing::CloudServer;
using testing::HttpClient;
using testing::HttpReply;
using testing::parse_json;

const std::string kLamp = "b827eb74663e";

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// The token of the reset link on the page that shows it.
std::string reset_token_in(const std::string& page) {
    const std::string marker = "/accounts/reset/?token=";
    std::size_t at = page.find(marker);
    if (at == std::string::npos) return "";
    return page.substr(at + marker.size(), 64);
}

class AdminTest : public CloudHttpTest {
protected:
    void SetUp() override {
        CloudHttpTest::SetUp();
        if (IsSkipped() || HasFatalFailure()) return;
        ops_ = server_->add_user("ops", true);
        alice_ = server_->add_user("alice");
        bob_ = server_->add_user("bob");
    }
    // A form post as the admin pages send it, with this session's CSRF token.
    static HttpReply post(BrowserSession& s, const std::string& path, testing::HttpHeaders fields) {
        fields.emplace_back("csrfmiddlewaretoken", s.cookie("csrftoken"));
        return s.post_form(path, fields);
    }
    // The reset link's form, filled in and sent from `holder`'s browser.
    static HttpReply set_password(BrowserSession& holder, const std::string& token, const std::string& password,
                                  const std::string& again) {
        return holder.post_form("/accounts/reset/", {{"csrfmiddlewaretoken", holder.cookie("csrftoken")},
                                                     {"token", token},
                                                     {"new_password1", password},
                                                     {"new_password2", again}});
    }
    bool can_log_in(const std::string& name, const std::string& password = CloudServer::kPassword) {
        return BrowserSession(server_->port()).login(name, password);
    }
    std::vector<std::string> revoked_users() {
        std::vector<std::string> users;
        for (const auto& m : server_->published())
            if (m.topic == "lampi/control/revoke") users.emplace_back(parse_json(m.payload).at("user").as_string());
        return users;
    }
    std::string audit_page() {
        BrowserSession ops = logged_in("ops");
        return ops.get("/operator/admin/audit/").body;
    }

    // What `lampi-cloud <args> --db <this database>` prints.
    std::string command_output(std::vector<std::string> args, const std::string& name) {
        args.insert(args.begin(), LAMPI_CLOUD_BINARY);
        args.insert(args.end(), {"--db", url_});
        lampi::testing::Process command(args, dir_.path() + "/" + name + ".log");
        command.start();
        EXPECT_EQ(command.wait(std::chrono::seconds(20)), 0) << command.log();
        return command.log();
    }

    storage::User ops_, alice_, bob_;
};

TEST_P(AdminTest, OnlyOperatorsEnterAndNobodyElseChangesAnything) {
    for (const char* path : {"/operator/admin/users/", "/operator/admin/lamps/", "/operator/admin/audit/"}) {
        auto away = BrowserSession(server_->port()).get(path);
        EXPECT_EQ(away.status, 302) << path;
        EXPECT_EQ(away.header("Location"), std::string("/accounts/login/?next=") + path);
    }
    EXPECT_EQ(BrowserSession(server_->port()).get("/operator/admin/").header("Location"), "/operator/admin/users/");

    BrowserSession alice = logged_in("alice");
    for (const char* path : {"/operator/admin/users/", "/operator/admin/lamps/", "/operator/admin/audit/"}) {
        auto refused = alice.get(path);
        EXPECT_EQ(refused.status, 403) << path;
        EXPECT_TRUE(contains(refused.body, "The admin area is for operators")) << refused.body;
        EXPECT_FALSE(contains(refused.body, "bob")) << path;
    }
    // A non-operator's well-formed posts (with their CSRF token) change nothing.
    EXPECT_EQ(post(alice, "/operator/admin/users/disable/", {{"username", "bob"}}).status, 403);
    EXPECT_EQ(post(alice, "/operator/admin/users/reset/", {{"username", "bob"}}).status, 403);
    server_->add_lamp(kLamp, bob_.id);
    EXPECT_EQ(post(alice, "/operator/admin/lamps/assign/", {{"device_id", kLamp}, {"username", "alice"}}).status, 403);
    EXPECT_EQ(post(alice, "/operator/admin/lamps/release/", {{"device_id", kLamp}}).status, 403);
    EXPECT_TRUE(can_log_in("bob"));
    EXPECT_EQ(server_->store().lamp(kLamp).value()->owner_id, bob_.id);
    // Logged out, a post goes to the login page.
    BrowserSession stranger(server_->port());
    stranger.get("/accounts/login/");
    EXPECT_EQ(post(stranger, "/operator/admin/users/disable/", {{"username", "bob"}}).status, 302);
    EXPECT_TRUE(can_log_in("bob"));

    BrowserSession ops = logged_in("ops");
    EXPECT_EQ(ops.get("/operator/admin/users/").status, 200);
    EXPECT_FALSE(contains(audit_page(), "bob"));
}

TEST_P(AdminTest, EveryChangeNeedsTheCsrfToken) {
    server_->add_lamp(kLamp, bob_.id);
    BrowserSession ops = logged_in("ops");
    const std::pair<std::string, testing::HttpHeaders> posts[] = {
        {"/operator/admin/users/disable/", {{"username", "bob"}}},
        {"/operator/admin/users/reset/", {{"username", "bob"}}},
        {"/operator/admin/lamps/release/", {{"device_id", kLamp}}},
        {"/operator/admin/lamps/assign/", {{"device_id", kLamp}, {"username", "alice"}}},
    };
    for (const auto& [path, fields] : posts) {
        auto without = ops.post_form(path, fields);
        EXPECT_EQ(without.status, 403) << path;
        auto wrong = fields;
        wrong.emplace_back("csrfmiddlewaretoken", std::string(64, 'a'));
        EXPECT_EQ(ops.post_form(path, wrong).status, 403) << path;
    }
    EXPECT_TRUE(can_log_in("bob"));
    EXPECT_EQ(server_->store().lamp(kLamp).value()->owner_id, bob_.id);
    EXPECT_FALSE(contains(audit_page(), "user bob"));
}

TEST_P(AdminTest, OperatorsListAndSearchUsers) {
    server_->add_user("Alicia");
    server_->add_lamp(kLamp, alice_.id);
    BrowserSession ops = logged_in("ops");
    auto all = ops.get("/operator/admin/users/");
    ASSERT_EQ(all.status, 200);
    for (const char* name : {"ops", "alice", "bob", "Alicia"})
        EXPECT_TRUE(contains(all.body, std::string("data-username=\"") + name + "\"")) << name;
    EXPECT_TRUE(contains(all.body, "4 users."));

    auto found = ops.get("/operator/admin/users/?q=ALI");
    ASSERT_EQ(found.status, 200);
    EXPECT_TRUE(contains(found.body, "data-username=\"alice\""));
    EXPECT_TRUE(contains(found.body, "data-username=\"Alicia\""));
    EXPECT_FALSE(contains(found.body, "data-username=\"bob\""));
    EXPECT_TRUE(contains(found.body, "1 lamp."));  // alice's
    // LIKE's own wildcards are searched as text.
    EXPECT_TRUE(contains(ops.get("/operator/admin/users/?q=%25").body, "No user's name contains"));
    auto escaped = ops.get("/operator/admin/users/?q=%3Cscript%3E");
    EXPECT_FALSE(contains(escaped.body, "<script>"));
    EXPECT_TRUE(contains(escaped.body, "&lt;script&gt;"));
}

TEST_P(AdminTest, ADisabledUserCannotLogInAndTheirSessionsTokensAndBrokerCredentialsStopAtOnce) {
    server_->add_lamp(kLamp, bob_.id);
    BrowserSession bob = logged_in("bob");
    auto token = server_->accounts().create_api_token(bob_.id, "script", "control", 90);
    ASSERT_TRUE(token);
    auto credential = parse_json(bob.get("/api/v1/mqtt-credential").body);
    std::string broker_user(credential.at("username").as_string());
    std::string broker_password(credential.at("password").as_string());
    auto broker_login = [&] {
        HttpClient c(server_->port());
        auto reply = c.request("POST", "/auth/v1/user", {{"Content-Type", "application/json"}},
                               json::serialize(json::object{{"username", broker_user}, {"password", broker_password}}));
        return std::string(parse_json(reply.body).at("result").as_string());
    };
    auto with_token = [&] {
        HttpClient c(server_->port());
        return c.request("GET", "/api/v1/lamps", {{"Authorization", "Bearer " + token->token}}).status;
    };
    ASSERT_EQ(bob.get("/").status, 200);
    ASSERT_EQ(with_token(), 200);
    ASSERT_EQ(broker_login(), "allow");

    BrowserSession ops = logged_in("ops");
    auto disabled = post(ops, "/operator/admin/users/disable/", {{"username", "bob"}});
    ASSERT_EQ(disabled.status, 303) << disabled.body;
    EXPECT_EQ(disabled.header("Location"), "/operator/admin/users/?q=bob&done=disabled");
    auto shown = ops.get(disabled.header("Location"));
    EXPECT_TRUE(contains(shown.body, "The user is disabled"));
    EXPECT_TRUE(contains(shown.body, "<span class=\"badge disabled\">disabled</span>"));

    EXPECT_EQ(bob.get("/").status, 302);
    EXPECT_EQ(bob.get("/api/v1/lamps").status, 401);
    EXPECT_EQ(with_token(), 401);
    EXPECT_EQ(broker_login(), "deny");
    EXPECT_EQ(revoked_users(), std::vector<std::string>{"bob"});
    EXPECT_FALSE(can_log_in("bob"));
    BrowserSession again(server_->port());
    again.get("/accounts/login/");
    auto refused = again.post_form("/accounts/login/?next=/", {{"csrfmiddlewaretoken", again.cookie("csrftoken")},
                                                               {"username", "bob"},
                                                               {"password", CloudServer::kPassword}});
    EXPECT_EQ(refused.status, 200);
    EXPECT_TRUE(contains(refused.body, "This account is disabled")) << refused.body;
    // A wrong password says nothing about the account.
    auto wrong = again.post_form("/accounts/login/?next=/", {{"csrfmiddlewaretoken", again.cookie("csrftoken")},
                                                             {"username", "bob"},
                                                             {"password", "not-the-password"}});
    EXPECT_FALSE(contains(wrong.body, "disabled"));

    // Twice is an error in words; an operator cannot lock themselves out.
    auto twice = post(ops, "/operator/admin/users/disable/", {{"username", "bob"}});
    EXPECT_EQ(twice.status, 409);
    EXPECT_TRUE(contains(twice.body, "bob is already disabled"));
    auto self = post(ops, "/operator/admin/users/disable/", {{"username", "ops"}});
    EXPECT_EQ(self.status, 409);
    EXPECT_TRUE(contains(self.body, "you cannot disable your own account"));
    auto nobody = post(ops, "/operator/admin/users/disable/", {{"username", "carol"}});
    EXPECT_EQ(nobody.status, 404);
    EXPECT_TRUE(contains(nobody.body, "there is no user called &quot;carol&quot;"));

    ASSERT_EQ(post(ops, "/operator/admin/users/enable/", {{"username", "bob"}}).status, 303);
    EXPECT_TRUE(can_log_in("bob"));
    EXPECT_EQ(with_token(), 401);  // what was ended stays ended
}

// The operator's command line says what the admin area says: which accounts are
// disabled (and since when), and when each lamp last reported.
TEST_P(AdminTest, TheCommandLineListsShowDisabledAccountsAndWhenLampsWereLastSeen) {
    server_->add_lamp(kLamp, bob_.id, "Desk");
    server_->add_lamp("b827eb000002", std::nullopt, "");
    ASSERT_TRUE(server_->store().record_online(kLamp, true, 1'764'520'805));  // 2025-11-30T16:40:05Z
    ASSERT_TRUE(server_->store().set_user_disabled(bob_.id, 1'764'520'800));

    std::string users = command_output({"user", "list"}, "user-list");
    EXPECT_TRUE(contains(users, "bob\tuser\t1 lamp(s)\tdisabled since 2025-11-30T16:40:00Z\n")) << users;
    EXPECT_TRUE(contains(users, "alice\tuser\t0 lamp(s)\tenabled\n")) << users;
    EXPECT_TRUE(contains(users, "ops\toperator\t0 lamp(s)\tenabled\n")) << users;

    std::string lamps = command_output({"lamp", "list"}, "lamp-list");
    EXPECT_TRUE(contains(lamps, kLamp + "\tDesk\tbob\tonline\tlast seen 2025-11-30T16:40:05Z\n")) << lamps;
    EXPECT_TRUE(contains(lamps, "b827eb000002\t-\t-\toffline\tnever seen\n")) << lamps;
}

TEST_P(AdminTest, AResetLinkSetsANewPasswordOnceAndIsStoredHashed) {
    BrowserSession alice_before = logged_in("alice");
    BrowserSession ops = logged_in("ops");
    auto made = post(ops, "/operator/admin/users/reset/", {{"username", "alice"}});
    ASSERT_EQ(made.status, 200) << made.body;
    EXPECT_EQ(made.header("Cache-Control"), "no-store");
    std::string token = reset_token_in(made.body);
    ASSERT_EQ(token.size(), 64u) << made.body;
    EXPECT_TRUE(contains(made.body, "http://127.0.0.1:" + std::to_string(server_->port()) + "/accounts/reset/?token="));
    // The old password and the open session end at once.
    EXPECT_FALSE(can_log_in("alice"));
    EXPECT_EQ(alice_before.get("/").status, 302);
    EXPECT_EQ(revoked_users(), std::vector<std::string>{"alice"});
    // Only the hash is kept.
    auto rows = server_->store().database().lease()->query("SELECT token_hash FROM password_resets");
    ASSERT_TRUE(rows);
    ASSERT_EQ(rows->size(), 1u);
    EXPECT_NE(rows->front().at(0).value(), token);

    BrowserSession holder(server_->port());
    auto form = holder.get("/accounts/reset/?token=" + token);
    ASSERT_EQ(form.status, 200);
    EXPECT_TRUE(contains(form.body, "name=\"new_password1\""));
    auto differ = set_password(holder, token, "a-new-password", "another-one");
    EXPECT_EQ(differ.status, 400);
    EXPECT_TRUE(contains(differ.body, "the two new passwords differ"));
    auto short_one = set_password(holder, token, "short", "short");
    EXPECT_EQ(short_one.status, 400);
    EXPECT_TRUE(contains(short_one.body, "too short"));
    EXPECT_EQ(holder
                  .post_form("/accounts/reset/", {{"token", token},
                                                  {"new_password1", "a-new-password"},
                                                  {"new_password2", "a-new-password"}})
                  .status,
              403);  // no CSRF token
    auto set = set_password(holder, token, "a-new-password", "a-new-password");
    ASSERT_EQ(set.status, 200) << set.body;
    EXPECT_TRUE(contains(set.body, "Your new password is set"));
    EXPECT_TRUE(can_log_in("alice", "a-new-password"));

    // Once only, by GET and by POST.
    auto used = holder.get("/accounts/reset/?token=" + token);
    EXPECT_EQ(used.status, 409);
    EXPECT_TRUE(contains(used.body, "already used"));
    EXPECT_FALSE(contains(used.body, "new_password1"));
    auto again = set_password(holder, token, "the-attackers-one", "the-attackers-one");
    EXPECT_EQ(again.status, 409);
    EXPECT_FALSE(can_log_in("alice", "the-attackers-one"));
    EXPECT_TRUE(can_log_in("alice", "a-new-password"));
    EXPECT_EQ(holder.get("/accounts/reset/?token=" + std::string(64, '0')).status, 404);
    EXPECT_EQ(holder.get("/accounts/reset/").status, 404);
}

TEST_P(AdminTest, AResetLinkExpiresAfterADayAndANewLinkEndsTheOldOne) {
    BrowserSession ops = logged_in("ops");
    std::string first = reset_token_in(post(ops, "/operator/admin/users/reset/", {{"username", "alice"}}).body);
    std::string second = reset_token_in(post(ops, "/operator/admin/users/reset/", {{"username", "alice"}}).body);
    ASSERT_EQ(first.size(), 64u);
    ASSERT_EQ(second.size(), 64u);
    BrowserSession holder(server_->port());
    EXPECT_EQ(holder.get("/accounts/reset/?token=" + first).status, 410);
    EXPECT_EQ(holder.get("/accounts/reset/?token=" + second).status, 200);
    server_->advance(admin::kResetLinkSeconds);
    auto expired = holder.get("/accounts/reset/?token=" + second);
    EXPECT_EQ(expired.status, 410);
    EXPECT_TRUE(contains(expired.body, "expired"));
}

TEST_P(AdminTest, OperatorsFindAssignAndReleaseLampsAndSeeOnlineAndLastSeen) {
    server_->add_lamp(kLamp, alice_.id, "Desk");
    server_->add_lamp("b827eb000002", std::nullopt);
    server_->lamps().handle_message("devices/" + kLamp + "/lamp/connection/lamp_service/state", "1");
    BrowserSession ops = logged_in("ops");

    auto found = ops.get("/operator/admin/lamps/?q=B8:27:EB:74");
    ASSERT_EQ(found.status, 200);
    EXPECT_TRUE(contains(found.body, "data-device-id=\"" + kLamp + "\" data-online=\"true\""));
    EXPECT_FALSE(contains(found.body, "b827eb000002"));
    EXPECT_TRUE(contains(found.body, "Owned by alice"));
    EXPECT_TRUE(contains(found.body, "last seen <time datetime=\"2023-11-14T22:13:20Z\">2023-11-14 22:13 UTC</time>"))
        << found.body;
    auto unseen = ops.get("/operator/admin/lamps/?q=000002");
    EXPECT_TRUE(contains(unseen.body, "No owner. Offline; last seen never."));

    auto assigned = post(ops, "/operator/admin/lamps/assign/", {{"device_id", kLamp}, {"username", "bob"}});
    ASSERT_EQ(assigned.status, 303) << assigned.body;
    EXPECT_EQ(assigned.header("Location"), "/operator/admin/lamps/?q=" + kLamp + "&done=assigned");
    auto lamp = server_->store().lamp(kLamp).value();
    EXPECT_EQ(lamp->owner_id, bob_.id);
    EXPECT_EQ(lamp->name, "Lamp 1");  // alice's name for it is gone
    EXPECT_EQ(revoked_users(), std::vector<std::string>{"alice"});
    BrowserSession bob = logged_in("bob");
    EXPECT_EQ(bob.get("/api/v1/lamps/" + kLamp).status, 200);
    EXPECT_EQ(logged_in("alice").get("/api/v1/lamps/" + kLamp).status, 404);

    auto same = post(ops, "/operator/admin/lamps/assign/", {{"device_id", kLamp}, {"username", "bob"}});
    EXPECT_EQ(same.status, 409);
    EXPECT_TRUE(contains(same.body, "already belongs to bob"));
    EXPECT_EQ(post(ops, "/operator/admin/lamps/assign/", {{"device_id", kLamp}, {"username", "carol"}}).status, 404);
    EXPECT_EQ(post(ops, "/operator/admin/lamps/assign/", {{"device_id", "b827eb999999"}, {"username", "bob"}}).status,
              404);

    auto released = post(ops, "/operator/admin/lamps/release/", {{"device_id", kLamp}});
    ASSERT_EQ(released.status, 303) << released.body;
    EXPECT_FALSE(server_->store().lamp(kLamp).value()->owner_id.has_value());
    EXPECT_EQ(bob.get("/api/v1/lamps/" + kLamp).status, 404);
    EXPECT_EQ(revoked_users(), (std::vector<std::string>{"alice", "bob"}));
    std::vector<std::string> told;
    for (const auto& m : server_->published())
        if (m.topic == "devices/" + kLamp + "/lamp/associated") told.push_back(m.payload);
    EXPECT_EQ(told, (std::vector<std::string>{"{\"claimed\":true}", "{\"claimed\":false}"}));
    EXPECT_EQ(post(ops, "/operator/admin/lamps/release/", {{"device_id", kLamp}}).status, 409);
}

TEST_P(AdminTest, EveryAdminActionIsInTheAuditLog) {
    server_->add_lamp(kLamp, std::nullopt);
    BrowserSession ops = logged_in("ops");
    ASSERT_EQ(post(ops, "/operator/admin/users/disable/", {{"username", "bob"}}).status, 303);
    ASSERT_EQ(post(ops, "/operator/admin/users/enable/", {{"username", "bob"}}).status, 303);
    std::string token = reset_token_in(post(ops, "/operator/admin/users/reset/", {{"username", "alice"}}).body);
    ASSERT_EQ(post(ops, "/operator/admin/lamps/assign/", {{"device_id", kLamp}, {"username", "alice"}}).status, 303);
    server_->advance(60);
    ASSERT_EQ(post(ops, "/operator/admin/lamps/release/", {{"device_id", kLamp}}).status, 303);
    BrowserSession holder(server_->port());
    holder.get("/accounts/reset/?token=" + token);
    ASSERT_EQ(set_password(holder, token, "a-new-password", "a-new-password").status, 200);
    // Refused actions are not recorded.
    EXPECT_EQ(post(ops, "/operator/admin/users/disable/", {{"username", "carol"}}).status, 404);

    auto entries =
        server_->store().database().lease()->query("SELECT actor, action, target, detail FROM admin_audit ORDER BY id");
    ASSERT_TRUE(entries);
    std::vector<std::string> lines;
    for (const auto& r : *entries)
        lines.push_back(r.at(0).value() + " | " + r.at(1).value() + " | " + r.at(2).value() + " | " + r.at(3).value());
    EXPECT_EQ(lines, (std::vector<std::string>{
                         "ops | disabled user | user bob | ",
                         "ops | enabled user | user bob | ",
                         "ops | made a password reset link | user alice | ",
                         "ops | assigned lamp | lamp " + kLamp + " | to alice, from nobody",
                         "ops | released lamp | lamp " + kLamp + " | from alice",
                         "alice | used a password reset link | user alice | ",
                     }));

    auto page = ops.get("/operator/admin/audit/");
    ASSERT_EQ(page.status, 200);
    // Newest first, with when, who, what and on what.
    std::size_t used = page.body.find("used a password reset link");
    std::size_t disabled = page.body.find("disabled user");
    ASSERT_NE(used, std::string::npos);
    ASSERT_NE(disabled, std::string::npos);
    EXPECT_LT(used, disabled);
    EXPECT_TRUE(contains(page.body,
                         "<time datetime=\"2023-11-14T22:14:20Z\">2023-11-14 22:14 UTC</time> "
                         "<strong class=\"actor\">ops</strong> <span class=\"action\">released lamp</span> "
                         "<span class=\"target\">lamp " +
                             kLamp + "</span> <span class=\"detail\">(from alice)</span>"))
        << page.body;
}

TEST_P(AdminTest, OnlyOperatorsSeeTheAdminAndAnalyticsLinks) {
    const std::string admin_link = "<a href=\"/operator/admin/\">Admin</a>";
    const std::string analytics_link = "<a href=\"/operator/analytics/\">Analytics</a>";
    BrowserSession ops = logged_in("ops");
    for (const char* path : {"/", "/accounts/password_change/", "/operator/admin/users/", "/operator/analytics/"}) {
        auto page = ops.get(path);
        EXPECT_TRUE(contains(page.body, admin_link)) << path;
        EXPECT_TRUE(contains(page.body, analytics_link)) << path;
    }
    BrowserSession alice = logged_in("alice");
    for (const char* path : {"/", "/accounts/password_change/", "/logout/"}) {
        auto page = alice.get(path);
        EXPECT_FALSE(contains(page.body, admin_link)) << path;
        EXPECT_FALSE(contains(page.body, analytics_link)) << path;
    }
}

INSTANTIATE_TEST_SUITE_P(Backends, AdminTest, ::testing::Values("sqlite", "postgres"));

}  // namespace
}  // namespace lampi::cloud
