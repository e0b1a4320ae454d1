// EnrollmentTokens: one-time tokens an operator issues so that a lamp can get
// its certificate from lampi-cloud without anyone copying keys around.
//
// A token is a random_token() value shown once; only its hash is stored (table
// enrollment_tokens). It may be bound to one device id. consume() is the only
// way a token is used, and exactly one caller can consume a given token, however
// many processes share the database. give_back() undoes a consume whose
// enrollment then failed on our side, so the operator need not issue another.
// Thread-safe; times are Unix seconds from the caller.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "lampi/status.h"
#include "storage/sql.h"

namespace lampi::cloud::enroll {

struct NewToken {
    std::string token;      // shown to the operator once, never stored
    std::string device_id;  // '' when any lamp may use it
    std::int64_t expires_at = 0;
};

class EnrollmentTokens {
public:
    explicit EnrollmentTokens(storage::Database& db) : db_(db) {}

    // `device_id` '' or a canonical device id; `ttl_seconds` > 0.
    Result<NewToken> create(const std::string& device_id, std::int64_t ttl_seconds, std::int64_t now);

    // Uses `token` for `device_id`. Failures say why in words safe to show the
    // caller: unauthenticated (no such token), permission_denied (already used,
    // or bound to another device), expired.
    Status consume(std::string_view token, const std::string& device_id, std::int64_t now);

    // Makes a token consumed at `used_at` by `device_id` usable again.
    Status give_back(std::string_view token, const std::string& device_id, std::int64_t used_at);

private:
    storage::Database& db_;
};

// "90s", "30m", "1h", "7d" or plain seconds -> seconds; at most 30 days.
Result<std::int64_t> parse_token_ttl(std::string_view text);

}  // namespace lampi::cloud::enroll
