// Tables of "may this client do that on this topic?" for the tests of the broker
// rules and of the plugin's client registry: one line a case, and a failing case
// names itself.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "rules/broker_rules.h"

namespace lampi::testing {

struct Access {
    rules::Action action;
    std::string topic;
    bool allowed;
};

inline constexpr bool kAllow = true;
inline constexpr bool kDeny = false;

inline std::string_view action_name(rules::Action action) {
    // A switch on purpose: -Wswitch names any value added later without its name.
    switch (action) {
        case rules::Action::read: return "read";
        case rules::Action::write: return "write";
        case rules::Action::subscribe: return "subscribe";
    }
    return "?";
}

// `allowed(action, topic)` is the check under test, for the client named `who`.
template <class Allowed>
void expect_access(std::string_view who, Allowed allowed, const std::vector<Access>& cases) {
    for (const Access& c : cases) {
        EXPECT_EQ(allowed(c.action, c.topic), c.allowed) << who << " " << action_name(c.action) << " " << c.topic
                                                         << ": expected " << (c.allowed ? "allowed" : "denied");
    }
}

}  // namespace lampi::testing
