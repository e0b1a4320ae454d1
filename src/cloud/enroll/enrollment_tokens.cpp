#include "enroll/enrollment_tokens.h"

#include <fmt/core.h>

#include <charconv>

#include "accounts/crypto.h"
#include "lampi/device_id.h"

namespace lampi::cloud::enroll {
namespace {

constexpr std::int64_t kMaxTtl = 30 * 24 * 3600;

std::int64_t as_int(const std::optional<std::string>& value) {
    return value ? std::stoll(*value) : 0;
}

}  // namespace

Result<NewToken> EnrollmentTokens::create(const std::string& device_id, std::int64_t ttl_seconds, std::int64_t now) {
    if (!device_id.empty() && !is_valid_device_id(device_id)) {
        return Status::invalid_argument(fmt::format("'{}' is not a device id (12 lowercase hex digits)", device_id));
    }
    if (ttl_seconds <= 0 || ttl_seconds > kMaxTtl) {
        return Status::invalid_argument("an enrollment token lives between 1 second and 30 days");
    }
    NewToken made{accounts::random_token(), device_id, now + ttl_seconds};
    auto conn = db_.lease();
    auto rows = conn->query(
        "INSERT INTO enrollment_tokens (token_hash, device_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
        {accounts::secret_hash(made.token), device_id, now, made.expires_at});
    if (!rows) return rows.status();
    return made;
}

Status EnrollmentTokens::consume(std::string_view token, const std::string& device_id, std::int64_t now) {
    if (!accounts::looks_like_token(token)) return Status::unauthenticated("the enrollment token is not valid");
    std::string hash = accounts::secret_hash(token);
    auto conn = db_.lease();
    // One statement decides: only one concurrent caller can flip used_at from NULL.
    auto used = conn->query(
        "UPDATE enrollment_tokens SET used_at = $1, used_by_device = $2 "
        "WHERE token_hash = $3 AND used_at IS NULL AND expires_at > $1 AND (device_id = '' OR device_id = $2) "
        "RETURNING token_hash",
        {now, device_id, hash});
    if (!used) return used.status();
    if (!used->empty()) return Status::ok();
    // Refused: find out why, for the operator reading the lamp's error.
    auto rows = conn->query("SELECT device_id, expires_at, used_at FROM enrollment_tokens WHERE token_hash = $1", {hash});
    if (!rows) return rows.status();
    if (rows->empty()) return Status::unauthenticated("the enrollment token is not valid");
    const storage::SqlRow& row = rows->front();
    if (row.at(2)) return Status::permission_denied("the enrollment token was already used");
    if (as_int(row.at(1)) <= now) return Status::expired("the enrollment token has expired; ask for a new one");
    return Status::permission_denied("the enrollment token is for another device");
}

Status EnrollmentTokens::give_back(std::string_view token, const std::string& device_id, std::int64_t used_at) {
    auto conn = db_.lease();
    auto rows = conn->query(
        "UPDATE enrollment_tokens SET used_at = NULL, used_by_device = '' "
        "WHERE token_hash = $1 AND used_at = $2 AND used_by_device = $3",
        {accounts::secret_hash(token), used_at, device_id});
    return rows ? Status::ok() : rows.status();
}

Result<std::int64_t> parse_token_ttl(std::string_view text) {
    std::int64_t unit = 1;
    std::string_view digits = text;
    if (!digits.empty()) {
        switch (digits.back()) {
            case 's': unit = 1; break;
            case 'm': unit = 60; break;
            case 'h': unit = 3600; break;
            case 'd': unit = 86400; break;
            default: unit = 0; break;
        }
        if (unit != 0) digits.remove_suffix(1);
        else unit = 1;
    }
    std::int64_t count = 0;
    auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), count);
    if (digits.empty() || error != std::errc() || end != digits.data() + digits.size() || count <= 0 ||
        count > kMaxTtl / unit) {
        return Status::invalid_argument(
            fmt::format("'{}' is not a token lifetime: use e.g. 90s, 30m, 1h or 7d (at most 30d)", text));
    }
    return count * unit;
}

}  // namespace lampi::cloud::enroll
