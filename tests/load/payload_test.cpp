#include <gtest/gtest.h>

#include "mqtt/payload.h"
#include "run/pacing.h"
#include "run/source_addresses.h"
#include "scenario/sequence_tracker.h"

namespace lampi::load {
namespace {

TEST(Payload, HeaderRoundTripsAndPadsToSize) {
    std::string out;
    encode_payload(out, PayloadHeader{41, 100, 1'700'000'000'123'456'789, "pub-3"}, 200);
    EXPECT_EQ(out.size(), 200u);
    auto h = decode_payload(out);
    ASSERT_TRUE(h);
    EXPECT_EQ(h->seq, 41u);
    EXPECT_EQ(h->total, 100u);
    EXPECT_EQ(h->sent_wall_ns, 1'700'000'000'123'456'789);
    EXPECT_EQ(h->publisher, "pub-3");
}

TEST(Payload, ForeignPayloadsAreNotMistakenForOurs) {
    EXPECT_FALSE(decode_payload("{\"on\": true}"));
    EXPECT_FALSE(decode_payload("LL1 12 x"));
    EXPECT_FALSE(decode_payload(""));
}

TEST(Payload, TopicTemplateExpandsClientAndSeq) {
    EXPECT_EQ(expand_topic("load/{client}/m/{seq}", "c-7", 12), "load/c-7/m/12");
    EXPECT_TRUE(topic_uses_seq("a/{seq}"));
    EXPECT_FALSE(topic_uses_seq("a/{client}"));
}

TEST(SequenceTracker, CountsLossDuplicatesAndReordering) {
    SequenceTracker t;
    for (std::uint64_t seq : {0, 1, 3, 2, 3, 5}) t.see(seq, 8);
    EXPECT_EQ(t.distinct(), 5u);
    EXPECT_EQ(t.duplicates(), 1u);  // the second 3
    EXPECT_EQ(t.reordered(), 1u);   // 2 after 3
    EXPECT_EQ(t.lost(), 3u);        // 4, 6 and 7 of the announced 8
}

TEST(SequenceTracker, WithoutATotalCountsGapsUpToTheHighestSeen) {
    SequenceTracker t;
    for (std::uint64_t seq : {5, 6, 7}) t.see(seq, 0);
    EXPECT_EQ(t.lost(), 5u);  // 0..4 never arrived
}

TEST(Pacer, HandsOutTheRateOverElapsedTime) {
    Pacer p(1000);  // per second
    std::uint64_t total = p.take(0);
    total += p.take(500'000'000);
    total += p.take(1'000'000'000);
    EXPECT_NEAR(static_cast<double>(total), 1001.0, 1.0);
    EXPECT_EQ(Pacer(0, 7).take(0), 7u);
}

TEST(SourceAddresses, LoopbackGetsOneAddressPer4000Connections) {
    EXPECT_TRUE(choose_source_addresses("127.0.0.1", 4'000, {}).empty());
    auto many = choose_source_addresses("127.0.0.1", 50'000, {});
    ASSERT_EQ(many.size(), 13u);
    EXPECT_EQ(many[12], "127.0.0.13");
    EXPECT_TRUE(choose_source_addresses("broker.example", 50'000, {}).empty());
    EXPECT_EQ(choose_source_addresses("127.0.0.1", 50'000, {"10.0.0.1"}).size(), 1u);
}

}  // namespace
}  // namespace lampi::load
