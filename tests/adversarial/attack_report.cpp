#include "attack_report.h"

#include <algorithm>
#include <iostream>

namespace lampi::testing {
namespace {

std::string pad(const std::string& text, std::size_t width) {
    return text.size() >= width ? text : text + std::string(width - text.size(), ' ');
}

}  // namespace

AttackReport& AttackReport::instance() {
    static AttackReport report;
    return report;
}

bool AttackReport::record(std::string attack, std::string expected, bool refused, std::string observed,
                          Before before) {
    std::lock_guard lock(mutex_);
    observed = (refused ? "refused: " : "NOT REFUSED: ") + observed;
    rows_.push_back(AttackRow{std::move(attack), std::move(expected), std::move(observed), refused, before});
    return refused;
}

std::vector<AttackRow> AttackReport::rows() const {
    std::lock_guard lock(mutex_);
    return rows_;
}

std::string AttackReport::table() const {
    std::vector<AttackRow> all = rows();
    std::size_t attack_width = 6;
    std::size_t expected_width = 8;
    for (const AttackRow& row : all) {
        attack_width = std::max(attack_width, row.attack.size());
        expected_width = std::max(expected_width, row.expected.size());
    }
    std::string out = pad("attack", attack_width) + " | " + pad("expected", expected_width) +
                      " | at 967397e | observed\n";
    out += std::string(attack_width, '-') + "-|-" + std::string(expected_width, '-') + "-|------------|---------\n";
    std::size_t not_refused = 0;
    std::size_t closed = 0;
    for (const AttackRow& row : all) {
        bool was_hole = row.before == Before::succeeded;
        out += pad(row.attack, attack_width) + " | " + pad(row.expected, expected_width) + " | " +
               pad(was_hole ? "SUCCEEDED" : "refused", 10) + " | " + row.observed + "\n";
        if (!row.refused) ++not_refused;
        if (was_hole && row.refused) ++closed;
    }
    out += std::to_string(all.size()) + " attacks, " + std::to_string(not_refused) + " not refused, " +
           std::to_string(closed) + " holes of 967397e closed\n";
    return out;
}

void AttackReportPrinter::TearDown() { std::cout << "\n" << AttackReport::instance().table() << std::flush; }

}  // namespace lampi::testing

namespace {
// gtest_main runs the tests; the table is printed after the last one.
[[maybe_unused]] ::testing::Environment* const kPrinter =
    ::testing::AddGlobalTestEnvironment(new lampi::testing::AttackReportPrinter);
}  // namespace
