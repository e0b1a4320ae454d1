#include "admin/password_resets.h"

#include "accounts/crypto.h"

namespace lampi::cloud::admin {
namespace {

constexpr std::string_view kNotALink =
    "this password reset link is not valid; check that it was copied whole, or ask an operator for a new one";

}  // namespace

Result<NewResetLink> PasswordResets::create(std::int64_t user_id, const std::string& created_by, std::int64_t now) {
    NewResetLink made{accounts::random_token(), now + kResetLinkSeconds};
    auto conn = db_.lease();
    // One working link per user: the one the operator just handed over.
    auto ended = conn->query(
        "UPDATE password_resets SET expires_at = $1 WHERE user_id = $2 AND used_at IS NULL AND expires_at > $1",
        {now, user_id});
    if (!ended) return ended.status();
    auto rows = conn->query(
        "INSERT INTO password_resets (token_hash, user_id, created_by, created_at, expires_at) VALUES ($1, $2, $3, $4, "
        "$5)",
        {accounts::secret_hash(made.token), user_id, created_by, now, made.expires_at});
    if (!rows) return rows.status();
    return made;
}

Result<std::int64_t> PasswordResets::check(std::string_view token, std::int64_t now) {
    if (!accounts::looks_like_token(token)) return Status::not_found(std::string(kNotALink));
    auto conn = db_.lease();
    auto rows = conn->query("SELECT user_id, expires_at, used_at FROM password_resets WHERE token_hash = $1",
                            {accounts::secret_hash(token)});
    if (!rows) return rows.status();
    if (rows->empty()) return Status::not_found(std::string(kNotALink));
    const storage::SqlRow& row = rows->front();
    if (row.at(2))
        return Status::failed_precondition(
            "this password reset link was already used; a link works once. Ask an operator for a new one");
    if (storage::as_int(row.at(1)) <= now)
        return Status::expired("this password reset link has expired; ask an operator for a new one");
    return storage::as_int(row.at(0));
}

Result<std::int64_t> PasswordResets::consume(std::string_view token, std::int64_t now) {
    if (!accounts::looks_like_token(token)) return Status::not_found(std::string(kNotALink));
    std::int64_t user_id = 0;
    {
        auto conn = db_.lease();
        // One statement decides: only one concurrent caller can flip used_at from NULL.
        auto used = conn->query(
            "UPDATE password_resets SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1 "
            "RETURNING user_id",
            {now, accounts::secret_hash(token)});
        if (!used) return used.status();
        if (!used->empty()) user_id = storage::as_int(used->front().at(0));
    }
    if (user_id != 0) return user_id;
    // Refused: say why.
    auto why = check(token, now);
    if (!why) return why.status();
    return Status::failed_precondition("this password reset link was just used; ask an operator for a new one");
}

}  // namespace lampi::cloud::admin
