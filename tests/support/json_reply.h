// A reply body read as JSON, failing the current test (not aborting it) when it
// is not JSON, so the assertions that follow can still say what came instead.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include <boost/json.hpp>

namespace lampi::testing {

inline boost::json::value parse_json(const std::string& body) {
    boost::system::error_code ec;
    boost::json::value v = boost::json::parse(body, ec);
    EXPECT_FALSE(ec) << "not JSON: " << body;
    return v;
}

}  // namespace lampi::testing
