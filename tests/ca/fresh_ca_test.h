// FreshCaTest: a test fixture whose CA is made anew, in a temporary directory of
// its own, before each test. Both library suites (certificate_authority_test.cpp,
// device_request_test.cpp) start from it and add what their tests need.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <utility>

#include "certificate_authority.h"
#include "process.h"

namespace lampi::ca {

class FreshCaTest : public ::testing::Test {
protected:
    void SetUp() override {
        auto created = CertificateAuthority::create(ca_dir());
        ASSERT_TRUE(created) << created.status().message();
    }
    std::string ca_dir() const { return dir_ / "ca"; }
    CertificateAuthority open() {
        auto ca = CertificateAuthority::open(ca_dir());
        EXPECT_TRUE(ca) << ca.status().message();
        return std::move(ca).value();
    }

    lampi::testing::TempDir dir_;
};

}  // namespace lampi::ca
