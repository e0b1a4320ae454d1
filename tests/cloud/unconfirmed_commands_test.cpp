// Commands the cloud broker acknowledged but the lamp has not confirmed are sent
// again when the path to the lamp comes back: a kill -9 of the cloud broker
// between its PUBACK and the bridge otherwise loses a command after its 202.
#include <gtest/gtest.h>

#include "cloud_server.h"
#include "lampi/lamp_codec.h"
#include "lampi/topics.h"
#include "lamps/change_source.h"
#include "lamps/pending_commands.h"
#include "process.h"

namespace lampi::cloud::lamps {
namespace {

const std::string kLamp = "b827eb74663e";

LampUpdate power(bool on) {
    LampUpdate u;
    u.on = on;
    return u;
}

LampUpdate brightness(double value) {
    LampUpdate u;
    u.brightness = value;
    return u;
}

TEST(PendingCommands, KeepsCommandsUntilAChangeAtOrAfterTheirSendingTime) {
    PendingCommands pending;
    pending.add(kLamp, 1000, "a");
    pending.add(kLamp, 2000, "b");
    pending.add(kLamp, 3000, "c");
    pending.confirm(kLamp, 2000);
    EXPECT_EQ(pending.of_lamp(kLamp, 3000), std::vector<std::string>{"c"});
    pending.confirm("0000000000aa", 5000);  // another lamp's change confirms nothing here
    EXPECT_EQ(pending.size(), 1u);
}

TEST(PendingCommands, KeepsOnlyTheNewestPerLampAndNoneTooOld) {
    PendingCommands pending({.per_lamp = 2, .max_age_ms = 1000});
    pending.add(kLamp, 1000, "a");
    pending.add(kLamp, 1500, "b");
    pending.add(kLamp, 1900, "c");
    EXPECT_EQ(pending.of_lamp(kLamp, 1900), (std::vector<std::string>{"b", "c"}));
    EXPECT_EQ(pending.of_lamp(kLamp, 2600), std::vector<std::string>{"c"}) << "b is over 1000 ms old";
    auto all = pending.all(3000);
    EXPECT_TRUE(all.empty());
    EXPECT_EQ(pending.size(), 0u);
}

TEST(PendingCommands, AFailedPublishIsForgotten) {
    PendingCommands pending;
    pending.add(kLamp, 1000, "a");
    pending.add(kLamp, 1000, "b");
    pending.forget(kLamp, 1000, "a");
    EXPECT_EQ(pending.of_lamp(kLamp, 1000), std::vector<std::string>{"b"});
}

class UnconfirmedCommandsTest : public ::testing::Test {
protected:
    void SetUp() override {
        server_ = std::make_unique<testing::CloudServer>("sqlite://" + (dir_ / "db.sqlite3"));
        user_ = server_->add_user("ann").id;
        server_->add_lamp(kLamp, user_);
    }

    std::vector<std::string> commands_published() {
        std::vector<std::string> payloads;
        for (const auto& m : server_->published())
            if (m.topic == topics::cloud(kLamp, topics::kSetConfig)) payloads.push_back(m.payload);
        return payloads;
    }

    std::int64_t sent_at(const std::string& payload) {
        auto decoded = decode_set_config(payload);
        EXPECT_TRUE(decoded && decoded->update.sent_at) << payload;
        return decoded && decoded->update.sent_at ? *decoded->update.sent_at : 0;
    }

    void lamp_reports(std::string_view client, std::string_view state) {
        server_->lamps().handle_message(topics::cloud(kLamp, topics::connection_state(client)), state);
    }

    void lamp_changed(std::int64_t changed_at, std::uint64_t version) {
        LampState state;
        state.on = true;
        state.version = version;
        state.changed_at = changed_at;
        server_->lamps().handle_message(topics::cloud(kLamp, topics::kChanged), encode_changed(state));
    }

    lampi::testing::TempDir dir_;
    std::unique_ptr<testing::CloudServer> server_;
    std::int64_t user_ = 0;
};

TEST_F(UnconfirmedCommandsTest, AreSentAgainInOrderWhenTheLampsBridgeComesBack) {
    ASSERT_TRUE(server_->lamps().set_state(user_, kLamp, power(true)));
    ASSERT_TRUE(server_->lamps().set_state(user_, kLamp, brightness(0.25)));
    auto first = commands_published();
    ASSERT_EQ(first.size(), 2u);
    EXPECT_EQ(decode_set_config(first[0])->update.client.value_or(""), kApiClient) << "a person's command";

    lamp_reports(topics::kBridgeClient, "1");
    auto after = commands_published();
    ASSERT_EQ(after.size(), 4u) << "both unconfirmed commands go out again when the bridge reports 1";
    EXPECT_EQ(after[2], first[0]);
    EXPECT_EQ(after[3], first[1]);
}

TEST_F(UnconfirmedCommandsTest, ALampChangeConfirmsTheCommandsSentUntilIt) {
    ASSERT_TRUE(server_->lamps().set_state(user_, kLamp, power(true)));
    ASSERT_TRUE(server_->lamps().set_state(user_, kLamp, brightness(0.25)));
    auto first = commands_published();
    ASSERT_EQ(first.size(), 2u);
    lamp_changed(sent_at(first[0]), 7);
    EXPECT_EQ(server_->lamps().unconfirmed_commands(), sent_at(first[0]) == sent_at(first[1]) ? 0u : 1u);

    lamp_changed(sent_at(first[1]), 8);
    EXPECT_EQ(server_->lamps().unconfirmed_commands(), 0u);
    lamp_reports(topics::kLampServiceClient, "1");
    EXPECT_EQ(commands_published().size(), 2u) << "a confirmed command is not sent again";
}

TEST_F(UnconfirmedCommandsTest, GoingOfflineSendsNothing) {
    ASSERT_TRUE(server_->lamps().set_state(user_, kLamp, power(false)));
    lamp_reports(topics::kBridgeClient, "0");
    EXPECT_EQ(commands_published().size(), 1u);
    EXPECT_EQ(server_->lamps().unconfirmed_commands(), 1u);
}

}  // namespace
}  // namespace lampi::cloud::lamps
