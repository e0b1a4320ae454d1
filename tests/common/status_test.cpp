// Status and Result: every failure has a kind, and the kind survives the trip
// up the layers.
#include "lampi/status.h"

#include <gtest/gtest.h>

namespace lampi {
namespace {

TEST(Status, OkHasNoCodeNorMessage) {
    Status s = Status::ok();
    EXPECT_TRUE(s.is_ok());
    EXPECT_TRUE(static_cast<bool>(s));
    EXPECT_EQ(s.code(), StatusCode::ok);
    EXPECT_EQ(s.code_name(), "ok");
    EXPECT_EQ(s.message(), "");
}

TEST(Status, EachConstructorGivesItsOwnCode) {
    const std::pair<Status, StatusCode> cases[] = {
        {Status::error("x"), StatusCode::unknown},
        {Status::invalid_argument("x"), StatusCode::invalid_argument},
        {Status::not_found("x"), StatusCode::not_found},
        {Status::already_exists("x"), StatusCode::already_exists},
        {Status::permission_denied("x"), StatusCode::permission_denied},
        {Status::unauthenticated("x"), StatusCode::unauthenticated},
        {Status::resource_exhausted("x"), StatusCode::resource_exhausted},
        {Status::failed_precondition("x"), StatusCode::failed_precondition},
        {Status::expired("x"), StatusCode::expired},
        {Status::unavailable("x"), StatusCode::unavailable},
        {Status::internal("x"), StatusCode::internal},
    };
    for (const auto& [status, code] : cases) {
        EXPECT_FALSE(status.is_ok()) << status.code_name();
        EXPECT_EQ(status.code(), code) << status.code_name();
        EXPECT_EQ(status.message(), "x");
    }
}

TEST(Status, CodeNamesAreTheEnumeratorNames) {
    EXPECT_EQ(Status::invalid_argument("x").code_name(), "invalid_argument");
    EXPECT_EQ(Status::resource_exhausted("x").code_name(), "resource_exhausted");
    EXPECT_EQ(Status::internal("x").code_name(), "internal");
    EXPECT_EQ(Status::error("x").code_name(), "unknown");
    EXPECT_EQ(status_code_name(StatusCode::already_exists), "already_exists");
}

TEST(Status, PrefixedKeepsTheKind) {
    Status s = Status::not_found("no such lamp").prefixed("cannot rename: ");
    EXPECT_EQ(s.code(), StatusCode::not_found);
    EXPECT_EQ(s.message(), "cannot rename: no such lamp");
    EXPECT_TRUE(Status::ok().prefixed("cannot rename: ").is_ok());
}

TEST(Status, WithCodeOkIsOk) {
    EXPECT_TRUE(Status::with_code(StatusCode::ok, "ignored").is_ok());
    EXPECT_EQ(Status::with_code(StatusCode::unavailable, "down").code(), StatusCode::unavailable);
}

TEST(Result, CarriesTheStatusCodeOfItsFailure) {
    Result<int> failed = Status::already_exists("taken");
    EXPECT_FALSE(failed.is_ok());
    EXPECT_EQ(failed.status().code(), StatusCode::already_exists);
    EXPECT_EQ(failed.status().message(), "taken");

    Result<int> value = 7;
    EXPECT_TRUE(value.is_ok());
    EXPECT_EQ(*value, 7);
    EXPECT_TRUE(value.status().is_ok());
}

TEST(Result, MadeFromAnOkStatusIsAnInternalFailureNotAValue) {
    Result<int> r = Status::ok();
    EXPECT_FALSE(r.is_ok());
    EXPECT_EQ(r.status().code(), StatusCode::internal);
}

}  // namespace
}  // namespace lampi
