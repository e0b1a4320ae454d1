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
#include "clock.h"
#include "storage/store.h"

namespace lampi::cloud::accounts {

struct AccountsOptions {
    PasswordCost cost;
    std::int64_t session_seconds = 14 * 24 * 3600;       // Django's default cookie age
    std::int64_t broker_credential_seconds = 15 * 60;
    std::size_t min_password_length = 8;
};

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
    // The user when the password is right; an error worded for the login form
    // otherwise. Takes about as long for unknown users as for wrong passwords.
    Result<storage::User> authenticate(const std::string& username, const std::string& password);
    Status set_password(std::int64_t user_id, const std::string& password);
    Status change_password(const storage::User& user, const std::string& old_password,
                           const std::string& new_password, const std::string& keep_session_key);

    // Returns the new session key (the cookie value).
    Result<std::string> start_session(std::int64_t user_id);
    Result<std::optional<storage::User>> session_user(std::string_view session_key);
    Status end_session(std::string_view session_key);

    // Returns the token (shown once).
    Result<std::string> create_api_token(std::int64_t user_id, const std::string& name);
    Result<std::optional<storage::User>> api_token_user(std::string_view token);

    Result<IssuedBrokerCredential> issue_broker_credential(std::int64_t user_id);
    // The user id behind a valid, unexpired broker credential.
    Result<std::optional<std::int64_t>> check_broker_credential(const std::string& username,
                                                                std::string_view password);

    const AccountsOptions& options() const { return options_; }
    std::int64_t now() const { return clock_(); }

private:
    storage::Store& store_;
    AccountsOptions options_;
    Clock clock_;
    std::string dummy_hash_;  // verified against for unknown users (timing)
};

// Broker usernames of the short-lived credentials start with this.
inline constexpr std::string_view kBrokerCredentialPrefix = "web-";

}  // namespace lampi::cloud::accounts
