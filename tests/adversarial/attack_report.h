// The adversarial suite's record: every attack that ran, what was expected and
// what the real processes answered. Tests append a row per attack; the
// environment prints the whole table when the binary ends, so one run shows the
// platform's security posture at a glance, not only pass/fail counts.
#pragma once

#include <gtest/gtest.h>

#include <mutex>
#include <string>
#include <vector>

namespace lampi::testing {

// What an attack did to the platform as it was at 967397e.
enum class Before {
    refused,    // the attack was already refused
    succeeded,  // a hole that security round 2 closed
};

struct AttackRow {
    std::string attack;
    std::string expected;
    std::string observed;  // what came back, in the protocol's own words (HTTP 403, CONNACK 5, TLS alert ...)
    bool refused = false;
    // How the platform at 967397e (before security round 2) fared against the
    // same attack: the column that shows which holes the round closed.
    Before before = Before::refused;
};

class AttackReport {
public:
    static AttackReport& instance();

    // Records the attack and returns `refused`, so a test writes
    //   EXPECT_TRUE(report.refused("...", "403", got == 403, "HTTP " + ...));
    bool record(std::string attack, std::string expected, bool refused, std::string observed,
                Before before = Before::refused);
    std::vector<AttackRow> rows() const;
    // attack | expected | at 967397e | observed, one row per attack, then counts of
    // the rows not refused and of the holes closed since 967397e.
    std::string table() const;

private:
    mutable std::mutex mutex_;
    std::vector<AttackRow> rows_;
};

// Shorthand for the tests.
inline bool refused(std::string attack, std::string expected, bool was_refused, std::string observed,
                    Before before = Before::refused) {
    return AttackReport::instance().record(std::move(attack), std::move(expected), was_refused, std::move(observed),
                                           before);
}
// An attack that succeeded at 967397e: a hole closed by security round 2.
inline bool refused_now(std::string attack, std::string expected, bool was_refused, std::string observed) {
    return refused(std::move(attack), std::move(expected), was_refused, std::move(observed), Before::succeeded);
}

// Prints the table after the last test (registered by the suite's main()).
class AttackReportPrinter : public ::testing::Environment {
public:
    void TearDown() override;
};

}  // namespace lampi::testing
