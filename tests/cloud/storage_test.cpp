// The Store on both engines: the same calls must behave the same on SQLite and
// PostgreSQL.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "accounts/accounts.h"
#include "accounts/crypto.h"
#include "database_test.h"
#include "postgres_server.h"
#include "process.h"
#include "storage/store.h"

namespace lampi::cloud::storage {
namespace {

using lampi::testing::fresh_database_url;

class StoreTest : public lampi::testing::DatabaseTest {
protected:
    void SetUp() override {
        DatabaseTest::SetUp();
        if (IsSkipped()) return;
        auto store = Store::open(url_, 2);
        ASSERT_TRUE(store) << store.status().message();
        store_ = std::move(store).value();
    }
    std::unique_ptr<Store> store_;
};

TEST_P(StoreTest, UsersAreUniqueByName) {
    auto id = store_->create_user("alice", "hash1", false, 100);
    ASSERT_TRUE(id) << id.status().message();
    auto again = store_->create_user("alice", "hash2", false, 101);
    ASSERT_FALSE(again);
    EXPECT_NE(again.status().message().find("already taken"), std::string::npos) << again.status().message();
    auto user = store_->user_by_name("alice");
    ASSERT_TRUE(user && *user);
    EXPECT_EQ((*user)->id, *id);
    EXPECT_EQ((*user)->password_hash, "hash1");
    EXPECT_FALSE((*user)->last_login);
    ASSERT_TRUE(store_->record_login(*id, 200));
    EXPECT_EQ(*(*store_->user_by_id(*id))->last_login, 200);
    auto missing = store_->user_by_name("bob");
    ASSERT_TRUE(missing);
    EXPECT_FALSE(*missing);
}

TEST_P(StoreTest, MigrationsRunOnceAndReopenKeepsData) {
    ASSERT_TRUE(store_->create_user("alice", "h", false, 1));
    store_.reset();
    auto reopened = Store::open(url_, 1);
    ASSERT_TRUE(reopened) << reopened.status().message();
    auto user = (*reopened)->user_by_name("alice");
    ASSERT_TRUE(user && *user);
}

TEST_P(StoreTest, SessionsExpireAndDelete) {
    auto id = *store_->create_user("alice", "h", false, 1);
    ASSERT_TRUE(store_->create_session("k1", id, 100, 200));
    ASSERT_TRUE(store_->create_session("k2", id, 100, 200));
    EXPECT_TRUE(*store_->session_user("k1", 199));
    EXPECT_FALSE(*store_->session_user("k1", 200));
    EXPECT_FALSE(*store_->session_user("nope", 150));
    ASSERT_TRUE(store_->delete_other_sessions(id, "k1"));
    EXPECT_TRUE(*store_->session_user("k1", 150));
    EXPECT_FALSE(*store_->session_user("k2", 150));
    ASSERT_TRUE(store_->delete_session("k1"));
    EXPECT_FALSE(*store_->session_user("k1", 150));
}

// session_user is answered from memory once asked: every way a session ends
// (logout, a password change, a disabled account) and every change to its user
// must still be seen by the very next request, and an expired session stays
// expired whatever is kept.
TEST_P(StoreTest, AKeptSessionEndsAtOnceWhateverEndsIt) {
    auto id = *store_->create_user("alice", "h", false, 1);
    auto ask_twice = [&](const std::string& key, std::int64_t now) {
        (void)store_->session_user(key, now);  // kept from here on
        auto user = store_->session_user(key, now);
        EXPECT_TRUE(user) << user.status().message();
        return user ? *user : std::nullopt;
    };
    ASSERT_TRUE(store_->create_session("k1", id, 100, 200));
    ASSERT_TRUE(ask_twice("k1", 150));
    EXPECT_FALSE(*store_->session_user("k1", 200)) << "expired, though kept";
    ASSERT_TRUE(store_->delete_session("k1"));
    EXPECT_FALSE(*store_->session_user("k1", 150)) << "logged out";

    ASSERT_TRUE(store_->create_session("k2", id, 100, 200));
    ASSERT_TRUE(store_->create_session("k3", id, 100, 200));
    ASSERT_TRUE(ask_twice("k2", 150));
    ASSERT_TRUE(ask_twice("k3", 150));
    ASSERT_TRUE(store_->delete_other_sessions(id, "k3"));
    EXPECT_FALSE(*store_->session_user("k2", 150)) << "another session's password change";
    EXPECT_TRUE(*store_->session_user("k3", 150));

    ASSERT_FALSE(ask_twice("k3", 150)->is_operator);
    ASSERT_TRUE(store_->set_operator(id, true));
    EXPECT_TRUE((*store_->session_user("k3", 150))->is_operator) << "the user's role as it is now";

    ASSERT_TRUE(ask_twice("k3", 150));
    ASSERT_TRUE(store_->set_user_disabled(id, 160));
    EXPECT_FALSE(*store_->session_user("k3", 150)) << "disabled";
    ASSERT_TRUE(store_->set_user_disabled(id, std::nullopt));
    ASSERT_TRUE(ask_twice("k3", 150));
    ASSERT_TRUE(store_->delete_user_credentials(id));
    EXPECT_FALSE(*store_->session_user("k3", 150)) << "every credential revoked";
}

// An answer's age counts from when its query began, not from when it came back,
// and reading it never makes it last longer: what another process changed is
// seen at most `ttl` after the read began, however slow the read and however
// often the answer is used. Checked only in the direction a loaded machine
// cannot fake (a sleep may overrun, never undershoot).
TEST(ReadCache, AnAnswerAgesFromItsQuerysStartAndUsingItNeverRenewsIt) {
    using Cache = ReadCache<std::string, int>;
    using Clock = Cache::Clock;
    constexpr auto kTtl = std::chrono::milliseconds(1000);
    Cache cache(kTtl);
    auto before_read = Cache::stamp(7);
    std::this_thread::sleep_for(std::chrono::milliseconds(600));  // a slow query, or a wait for a connection
    cache.put("k", 1, before_read);
    if (Clock::now() - before_read.at < kTtl) {
        EXPECT_EQ(cache.get("k", 7), 1);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    EXPECT_FALSE(cache.get("k", 7)) << "kept longer than the ttl after its query began";

    auto read = Cache::stamp(7);
    cache.put("k", 2, read);
    while (Clock::now() - read.at < kTtl + std::chrono::milliseconds(100)) {
        (void)cache.get("k", 7);
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    EXPECT_FALSE(cache.get("k", 7)) << "kept alive by being used";
    cache.put("k", 3, Cache::stamp(7));
    EXPECT_FALSE(cache.get("k", 8)) << "this process wrote since";
}

// What another process writes (a second lampi-cloud on the database) is seen
// within the cache's lifetime, and at once with none.
TEST_P(StoreTest, AnotherProcesssWriteIsSeenWithinTheCachesLifetime) {
    auto id = *store_->create_user("alice", "h", false, 1);
    ASSERT_TRUE(store_->create_session("k1", id, 100, 200));
    ASSERT_TRUE(store_->add_lamp("b827eb74663e", "Desk", id, 5));
    auto other = Store::open(url_, 1);
    ASSERT_TRUE(other) << other.status().message();
    ASSERT_TRUE(*store_->session_user("k1", 150));
    ASSERT_EQ(store_->lamps_of(id)->size(), 1u);
    ASSERT_TRUE((*other)->delete_session("k1"));
    ASSERT_TRUE((*other)->rename_lamp("b827eb74663e", id, "Bed"));
    // The lamps were read (and cached) after the session: each is waited for, as
    // each entry lives its own lifetime from its own read.
    auto deadline = std::chrono::steady_clock::now() + Store::kDefaultReadCacheTtl + std::chrono::seconds(5);
    while ((*store_->session_user("k1", 150) || store_->lamps_of(id)->at(0).name != "Bed") &&
           std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    EXPECT_FALSE(*store_->session_user("k1", 150));
    EXPECT_EQ(store_->lamps_of(id)->at(0).name, "Bed");

    store_->set_read_cache_ttl(std::chrono::milliseconds(0));
    ASSERT_TRUE(store_->create_session("k2", id, 100, 200));
    ASSERT_TRUE(*store_->session_user("k2", 150));
    ASSERT_TRUE((*other)->delete_session("k2"));
    EXPECT_FALSE(*store_->session_user("k2", 150));
}

// lamps_of is kept too: a lamp's new state, a rename, a release are in the next answer.
TEST_P(StoreTest, KeptLampListsFollowEveryChange) {
    auto id = *store_->create_user("alice", "h", false, 1);
    ASSERT_TRUE(store_->add_lamp("b827eb74663e", "Desk", id, 5));
    ASSERT_EQ(store_->lamps_of(id)->at(0).state_json, "");
    ASSERT_TRUE(*store_->record_state("b827eb74663e", "{\"v\":1}", 1, 10));
    EXPECT_EQ(store_->lamps_of(id)->at(0).state_json, "{\"v\":1}");
    ASSERT_TRUE(store_->record_online("b827eb74663e", true, 11));
    EXPECT_TRUE(store_->lamps_of(id)->at(0).online);
    ASSERT_TRUE(*store_->rename_lamp("b827eb74663e", id, "Bed"));
    EXPECT_EQ(store_->lamps_of(id)->at(0).name, "Bed");
    ASSERT_TRUE(*store_->release_lamp("b827eb74663e", id));
    EXPECT_TRUE(store_->lamps_of(id)->empty());
}

TEST_P(StoreTest, LampStateKeepsTheNewestVersion) {
    auto stored = store_->record_state("b827eb74663e", "{\"v\":2}", 2, 10);
    ASSERT_TRUE(stored) << stored.status().message();
    EXPECT_TRUE(*stored);
    EXPECT_FALSE(*store_->record_state("b827eb74663e", "{\"v\":1}", 1, 11));  // older: dropped
    EXPECT_FALSE(*store_->record_state("b827eb74663e", "{\"v\":2}", 2, 11));  // same: dropped
    EXPECT_TRUE(*store_->record_state("b827eb74663e", "{\"v\":3}", 3, 12));
    auto lamp = store_->lamp("b827eb74663e");
    ASSERT_TRUE(lamp && *lamp);
    EXPECT_EQ((*lamp)->state_json, "{\"v\":3}");
    EXPECT_EQ(*(*lamp)->state_version, 3);
    EXPECT_FALSE((*lamp)->owner_id);
    ASSERT_TRUE(store_->record_online("b827eb74663e", true, 13));
    EXPECT_TRUE((*store_->lamp("b827eb74663e"))->online);
}

TEST_P(StoreTest, OwnershipRenameRelease) {
    auto alice = *store_->create_user("alice", "h", false, 1);
    auto bob = *store_->create_user("bob", "h", false, 1);
    ASSERT_TRUE(store_->add_lamp("b827eb74663e", "Desk", alice, 5));
    ASSERT_TRUE(store_->add_lamp("b827eb000001", "", std::nullopt, 5));
    EXPECT_EQ(store_->lamps_of(alice)->size(), 1u);
    EXPECT_EQ(store_->lamps_of(bob)->size(), 0u);
    EXPECT_EQ((*store_->lamp("b827eb74663e"))->owner_name, "alice");
    EXPECT_FALSE(*store_->rename_lamp("b827eb74663e", bob, "Mine"));
    EXPECT_TRUE(*store_->rename_lamp("b827eb74663e", alice, "Bed"));
    EXPECT_EQ((*store_->lamp("b827eb74663e"))->name, "Bed");
    EXPECT_FALSE(*store_->set_lamp_room("b827eb74663e", bob, "Hall"));
    EXPECT_TRUE(*store_->set_lamp_room("b827eb74663e", alice, "Bedroom"));
    EXPECT_EQ((*store_->lamp("b827eb74663e"))->room, "Bedroom");
    EXPECT_EQ(store_->lamps_of(alice)->at(0).room, "Bedroom");
    EXPECT_FALSE(*store_->release_lamp("b827eb74663e", bob));
    EXPECT_TRUE(*store_->release_lamp("b827eb74663e", alice));
    EXPECT_FALSE((*store_->lamp("b827eb74663e"))->owner_id);
    // The next owner starts with neither the old name nor the old room.
    EXPECT_EQ((*store_->lamp("b827eb74663e"))->name, "");
    EXPECT_EQ((*store_->lamp("b827eb74663e"))->room, "");
    ASSERT_TRUE(store_->assign_lamp("b827eb000001", bob, 6));
    EXPECT_EQ(*store_->owned_device_ids(bob), std::vector<std::string>{"b827eb000001"});
    EXPECT_FALSE(store_->assign_lamp("b827eb999999", bob, 6));
    EXPECT_EQ(store_->all_lamps()->size(), 2u);
}

TEST_P(StoreTest, ScenesArePerUserAndUniqueByName) {
    auto alice = *store_->create_user("alice", "h", false, 1);
    auto bob = *store_->create_user("bob", "h", false, 1);
    storage::Scene movie{0, alice, "Movie", "Living room", R"({"b827eb74663e":{"on":true}})", 5};
    auto id = store_->create_scene(movie);
    ASSERT_TRUE(id) << id.status().message();
    auto again = store_->create_scene(movie);
    ASSERT_FALSE(again);
    EXPECT_EQ(again.status().code(), StatusCode::already_exists);
    movie.user_id = bob;
    ASSERT_TRUE(store_->create_scene(movie));  // another user's "Movie"
    auto mine = *store_->scenes_of(alice);
    ASSERT_EQ(mine.size(), 1u);
    EXPECT_EQ(mine[0].id, *id);
    EXPECT_EQ(mine[0].room, "Living room");
    EXPECT_EQ(mine[0].lamps_json, R"({"b827eb74663e":{"on":true}})");
    EXPECT_EQ(mine[0].created_at, 5);
    EXPECT_FALSE(*store_->scene(bob, *id));
    EXPECT_EQ((*store_->scene(alice, *id))->name, "Movie");
    EXPECT_FALSE(*store_->delete_scene(bob, *id));
    EXPECT_TRUE(*store_->delete_scene(alice, *id));
    EXPECT_TRUE(store_->scenes_of(alice)->empty());
    EXPECT_EQ(store_->scenes_of(bob)->size(), 1u);
}

// A row that names one deleted meanwhile (here: an account) is a race with
// another request, answered 409 with what to do, not a 500.
TEST_P(StoreTest, ARowNamingOneDeletedMeanwhileIsAConflictNotAServerFault) {
    auto gone = store_->create_scene({0, 424242, "Movie", "Den", "{}", 5});
    ASSERT_FALSE(gone);
    EXPECT_EQ(gone.status().code(), StatusCode::failed_precondition) << gone.status().message();
    EXPECT_EQ(gone.status().message(), kMissingReference);
    auto user = store_->create_user("alice", "h", false, 1);
    ASSERT_TRUE(user) << user.status().message();
    EXPECT_TRUE(store_->create_scene({0, *user, "Movie", "Den", "{}", 5})) << "the same row with its account there";
}

TEST_P(StoreTest, ClaimCodesOnce) {
    auto alice = *store_->create_user("alice", "h", false, 1);
    auto bob = *store_->create_user("bob", "h", false, 1);
    ASSERT_TRUE(store_->record_code("b827eb74663e", "123456", 100, 700));
    // A re-delivered announcement does not extend the code's life.
    ASSERT_TRUE(store_->record_code("b827eb74663e", "123456", 500, 1100));
    EXPECT_EQ(store_->claim("000000", alice, 150)->outcome, ClaimOutcome::wrong_code);
    EXPECT_EQ(store_->claim("123456", alice, 700)->outcome, ClaimOutcome::expired);
    auto won = store_->claim("123456", alice, 150);
    ASSERT_TRUE(won);
    EXPECT_EQ(won->outcome, ClaimOutcome::claimed);
    EXPECT_EQ(won->device_id, "b827eb74663e");
    EXPECT_EQ(store_->claim("123456", bob, 151)->outcome, ClaimOutcome::already_used);
    EXPECT_EQ(*(*store_->lamp("b827eb74663e"))->owner_id, alice);
    // A new code for a lamp that still has an owner cannot steal it.
    ASSERT_TRUE(store_->record_code("b827eb74663e", "654321", 200, 800));
    EXPECT_EQ(store_->claim("654321", bob, 201)->outcome, ClaimOutcome::already_owned);
}

TEST_P(StoreTest, TokensAndBrokerCredentials) {
    auto alice = *store_->create_user("alice", "h", false, 1);
    ASSERT_TRUE(store_->create_api_token({"pub1", alice, "script", "read", 1, 50}, "th"));
    EXPECT_EQ((*store_->api_token_user("th", 49))->first.username, "alice");
    EXPECT_EQ((*store_->api_token_user("th", 49))->second, "read");
    EXPECT_FALSE(*store_->api_token_user("th", 50)) << "expired";
    EXPECT_FALSE(*store_->api_token_user("other", 1));
    EXPECT_EQ(store_->api_tokens_of(alice, 1)->size(), 1u);
    EXPECT_TRUE(*store_->delete_api_token(alice, "pub1"));
    EXPECT_FALSE(*store_->delete_api_token(alice, "pub1"));
    ASSERT_TRUE(store_->create_broker_credential({"web-1", "ph", alice, 100}, 50));
    EXPECT_TRUE(*store_->broker_credential("web-1", 99));
    EXPECT_FALSE(*store_->broker_credential("web-1", 100));
    ASSERT_TRUE(store_->create_session("k", alice, 1, 100));
    ASSERT_TRUE(store_->purge_expired(100));
    EXPECT_FALSE(*store_->session_user("k", 50));
    EXPECT_FALSE(*store_->broker_credential("web-1", 50));
}

TEST(DatabaseUrl, ParsesAndExplainsMistakes) {
    EXPECT_EQ(parse_database_url("sqlite:///var/lib/x.sqlite3")->target, "/var/lib/x.sqlite3");
    EXPECT_EQ(parse_database_url("postgresql://u@h:5432/db")->dialect, Dialect::postgres);
    auto bad = parse_database_url("mysql://x");
    ASSERT_FALSE(bad);
    EXPECT_NE(bad.status().message().find("sqlite:///"), std::string::npos);
    auto unreachable = Store::open("sqlite:///nonexistent-dir/x/y.sqlite3");
    ASSERT_FALSE(unreachable);
    EXPECT_NE(unreachable.status().message().find("directory"), std::string::npos);
}

// A hash made with weaker argon2 parameters than lampi-cloud's current ones is
// replaced at the next successful login, with one made at the current cost.
TEST(PasswordUpgrade, AWeakerArgon2HashIsRehashedWithTheCurrentCostAtLogin) {
    ASSERT_TRUE(accounts::init_crypto());
    lampi::testing::TempDir dir;
    auto store = Store::open(fresh_database_url("sqlite", dir.path()), 2);
    ASSERT_TRUE(store) << store.status().message();
    const std::string password = "correct-horse";
    accounts::PasswordCost weak{1, 8 * 1024};
    auto weak_hash = accounts::hash_password(password, weak);
    ASSERT_TRUE(weak_hash);
    ASSERT_NE(weak_hash->find("$m=8,t=1,p=1$"), std::string::npos) << *weak_hash;
    auto id = (*store)->create_user("alice", *weak_hash, false, 100);
    ASSERT_TRUE(id) << id.status().message();

    accounts::AccountsOptions options;
    options.cost = accounts::PasswordCost{2, 16 * 1024};
    accounts::Accounts accounts(**store, options, [] { return std::int64_t{1'700'000'000}; });
    auto stored = [&] { return (*(*store)->user_by_id(*id))->password_hash; };

    auto wrong = accounts.login("alice", "wrong-password", "192.0.2.1");
    ASSERT_TRUE(wrong && !wrong->user);
    EXPECT_EQ(stored(), *weak_hash) << "a failed login must not touch the hash";

    auto right = accounts.login("alice", password, "192.0.2.1");
    ASSERT_TRUE(right && right->user) << (right ? right->error : right.status().message());
    const std::string upgraded = stored();
    EXPECT_NE(upgraded.find("$m=16,t=2,p=1$"), std::string::npos) << "not rehashed at the current cost: " << upgraded;
    EXPECT_TRUE(accounts::verify_password(upgraded, password));

    auto again = accounts.login("alice", password, "192.0.2.1");
    ASSERT_TRUE(again && again->user);
    EXPECT_EQ(stored(), upgraded) << "a hash already at the current cost is rehashed at every login";
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreTest, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace lampi::cloud::storage
