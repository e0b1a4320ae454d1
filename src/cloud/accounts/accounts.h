// Accounts: users, passwords, sessions, API tokens and broker credentials.
//
// The policy layer over the Store: validates names and passwords, hashes
// passwords with argon2id, and issues random secrets of which only hashes are
// stored. Thread-safe. Messages in returned Statuses are safe to show to the
// person who caused them (they never echo a password or token).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "accounts/crypto.h"
#include "accounts/login_throttle.h"
#include "clock.h"
#include "storage/store.h"

namespace lampi::cloud::accounts {

struct AccountsOptions {
    PasswordCost cost;
    std::int64_t session_seconds = 14 * 24 * 3600;       // Django's default cookie age
    std::int64_t broker_credential_seconds = 15 * 60;
    std::size_t min_password_length = 8;
    ThrottleOptions throttle;
};

struct LoginResult {
    std::optional<storage::User> user;  // set when the login succeeded
    std::string error;                  // otherwise: what the login form says
    std::int64_t retry_after = 0;       // > 0: refused by the throttle; seconds to wait
    bool disabled = false;              // the right password, but an operator disabled the account
};

struct IssuedApiToken {
    std::string token;  // shown once; only its hash is stored
    storage::ApiToken info;
};

inline constexpr std::int64_t kDefaultTokenDays = 90;

struct IssuedBrokerCredential {
    std::string username;
    std::string password;  // shown once; only its hash is stored
    std::int64_t expires_at = 0;
};

class Accounts {
public:
    Accounts(storage::Store& store, AccountsOptions options, Clock clock);

    // Letters, digits and @ . + - _, 1..150 characters (as Django), and never a
    // device id, so broker usernames stay unambiguous.
    static Status check_username(std::string_view username);
    Status check_password_rules(std::string_view password) const;

    Result<storage::User> create_user(const std::string& username, const std::string& password, bool is_operator);
    // A password login, throttled (see login_throttle.h): refused without looking
    // at the password while the username or `address` is locked; a failure counts
    // against both, a success clears the username's counter. `address` is the
    // client's address; empty counts per username only (the broker's calls, which
    // all come from the broker). Unknown users and wrong passwords get the same
    // answer in about the same time. A disabled account is refused (saying so)
    // even with the right password.
    Result<LoginResult> login(const std::string& username, const std::string& password, std::string_view address);
    // A sign-up from `address`: the account's owner uses it, so the per-account
    // guessing ceiling never slows it (see login_throttle.h).
    Status remember_address(const std::string& username, std::string_view address);
    Status set_password(std::int64_t user_id, const std::string& password);
    // The argon2id hash to store for a new password, once it passes the rules.
    Result<std::string> hash_new_password(const std::string& password) const;
    // Ends every session and API token of the user; the caller starts a new
    // session for the browser that made the change.
    Status change_password(const storage::User& user, const std::string& old_password,
                           const std::string& new_password);

    // Returns the new session key (the cookie value).
    Result<std::string> start_session(std::int64_t user_id);
    Result<std::optional<storage::User>> session_user(std::string_view session_key);
    Status end_session(std::string_view session_key);

    // API tokens: scope "read" (GET only) or "control" (also changes lamps;
    // never manages tokens), lifetime 1..365 days. Returns the token (shown once).
    Result<IssuedApiToken> create_api_token(std::int64_t user_id, const std::string& name, const std::string& scope,
                                            std::int64_t lifetime_days);
    Result<std::optional<std::pair<storage::User, std::string>>> api_token_user(std::string_view token);

    // A broker credential for `user`, who owns `devices`: the password is signed
    // with `signing_secret` (auth/broker_credential.h) so the broker checks it
    // without asking the cloud; its hash is stored too, for the auth API. With no
    // secret the password is a random token that only the auth API can check.
    Result<IssuedBrokerCredential> issue_broker_credential(const storage::User& user,
                                                           const std::vector<std::string>& devices,
                                                           std::string_view signing_secret);
    // The user id behind a valid, unexpired broker credential.
    Result<std::optional<std::int64_t>> check_broker_credential(const std::string& username,
                                                                std::string_view password);

    const AccountsOptions& options() const { return options_; }
    std::int64_t now() const { return clock_(); }

private:
    storage::Store& store_;
    AccountsOptions options_;
    Clock clock_;
    LoginThrottle throttle_;
    std::string dummy_hash_;  // verified against for unknown users (timing)
};

// Broker usernames of the short-lived credentials start with this.
inline constexpr std::string_view kBrokerCredentialPrefix = "web-";

}  // namespace lampi::cloud::accounts
