#include "accounts/accounts.h"

#include <fmt/core.h>

#include "accounts/crypto.h"
#include "lampi/device_id.h"
#include "lampi/log.h"
#include "rules/broker_credential.h"

namespace lampi::cloud::accounts {

Accounts::Accounts(storage::Store& store, AccountsOptions options, Clock clock)
    : store_(store), options_(options), clock_(std::move(clock)), throttle_(store, options_.throttle, clock_) {
    auto hash = hash_password("lampi-timing-equaliser", options_.cost);
    if (hash) dummy_hash_ = std::move(hash).value();
}

Status Accounts::check_username(std::string_view username) {
    if (username.empty() || username.size() > 150)
        return Status::invalid_argument("a username needs 1 to 150 characters");
    for (char c : username) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '@' ||
                  c == '.' || c == '+' || c == '-' || c == '_';
        if (!ok) return Status::invalid_argument("a username may hold only letters, digits and @ . + - _");
    }
    if (is_valid_device_id(username))
        return Status::invalid_argument(
            "a username may not look like a lamp's device id (12 hex digits); choose another");
    if (username.substr(0, kBrokerCredentialPrefix.size()) == kBrokerCredentialPrefix)
        return Status::invalid_argument(
            fmt::format("usernames starting with '{}' are reserved", kBrokerCredentialPrefix));
    return Status::ok();
}

Status Accounts::check_password_rules(std::string_view password) const {
    if (password.size() < options_.min_password_length)
        return Status::invalid_argument(
            fmt::format("the password is too short: use at least {} characters", options_.min_password_length));
    if (password.size() > 1024)
        return Status::invalid_argument("the password is too long: use at most 1024 characters");
    return Status::ok();
}

Result<storage::User> Accounts::create_user(const std::string& username, const std::string& password,
                                            bool is_operator) {
    if (Status s = check_username(username); !s) return s;
    if (Status s = check_password_rules(password); !s) return s;
    auto hash = hash_password(password, options_.cost);
    if (!hash) return hash.status();
    auto id = store_.create_user(username, *hash, is_operator, now());
    if (!id) return id.status();
    auto user = store_.user_by_id(*id);
    if (!user) return user.status();
    if (!*user) return Status::internal("the new user vanished; is another process deleting users?");
    return **user;
}

Result<LoginResult> Accounts::login(const std::string& username, const std::string& password,
                                    std::string_view address) {
    static const std::string kWrong = "Please enter a correct username and password. Note that both fields may be "
                                      "case-sensitive.";
    static const std::string kDisabled =
        "This account is disabled. Ask an operator of this LAMPi to enable it again if you need it.";
    LoginResult result;
    if (username.size() > 150 || password.size() > 1024) {
        result.error = kWrong;
        return result;
    }
    auto wait = throttle_.retry_after(username, address);
    if (!wait) return wait.status();
    if (*wait > 0) {
        result.error = throttle_message(*wait);
        result.retry_after = *wait;
        return result;
    }
    auto user = store_.user_by_name(username);
    if (!user) return user.status();
    bool right = false;
    if (*user) {
        right = verify_password((*user)->password_hash, password);
    } else if (!dummy_hash_.empty()) {
        (void)verify_password(dummy_hash_, password);
    }
    if (!right) {
        auto locked = throttle_.failed(username, address);
        if (!locked) return locked.status();
        result.error = *locked > 0 ? throttle_message(*locked) : kWrong;
        result.retry_after = *locked;
        return result;
    }
    if ((*user)->disabled()) {
        // Said only to someone who knows the password: it tells nobody else the account exists.
        result.error = kDisabled;
        result.disabled = true;
        return result;
    }
    if (needs_rehash((*user)->password_hash, options_.cost)) {
        // The cost changed since this hash was made: upgrade it now that we know the password.
        if (auto hash = hash_password(password, options_.cost)) (void)store_.set_password((*user)->id, *hash);
    }
    if (Status s = throttle_.succeeded(username, address); !s) return s;
    (void)store_.record_login((*user)->id, now());
    result.user = **user;
    return result;
}

Status Accounts::remember_address(const std::string& username, std::string_view address) {
    return throttle_.succeeded(username, address);
}

Result<std::string> Accounts::hash_new_password(const std::string& password) const {
    if (Status s = check_password_rules(password); !s) return s;
    return hash_password(password, options_.cost);
}

Status Accounts::set_password(std::int64_t user_id, const std::string& password) {
    auto hash = hash_new_password(password);
    if (!hash) return hash.status();
    return store_.set_password(user_id, *hash);
}

Status Accounts::change_password(const storage::User& user, const std::string& old_password,
                                 const std::string& new_password) {
    if (!verify_password(user.password_hash, old_password))
        return Status::invalid_argument("your old password was entered incorrectly; please enter it again");
    if (Status s = set_password(user.id, new_password); !s) return s;
    // Whoever held a session or token of this user (perhaps stolen) is out.
    return store_.delete_user_credentials(user.id);
}

Result<std::string> Accounts::start_session(std::int64_t user_id) {
    std::string key = random_token();
    std::int64_t t = now();
    if (Status s = store_.create_session(secret_hash(key), user_id, t, t + options_.session_seconds); !s) return s;
    return key;
}

Result<std::optional<storage::User>> Accounts::session_user(std::string_view session_key) {
    if (!looks_like_token(session_key)) return std::optional<storage::User>();
    return store_.session_user(secret_hash(session_key), now());
}

Status Accounts::end_session(std::string_view session_key) {
    if (!looks_like_token(session_key)) return Status::ok();
    return store_.delete_session(secret_hash(session_key));
}

Result<IssuedApiToken> Accounts::create_api_token(std::int64_t user_id, const std::string& name,
                                                  const std::string& scope, std::int64_t lifetime_days) {
    if (name.size() > 100) return Status::invalid_argument("a token name has at most 100 characters");
    if (scope != "read" && scope != "control")
        return Status::invalid_argument("a token's scope is \"read\" or \"control\"");
    if (lifetime_days < 1 || lifetime_days > 365) return Status::invalid_argument("a token lives 1 to 365 days");
    IssuedApiToken issued;
    issued.token = random_token();
    std::string hash = secret_hash(issued.token);
    // The hash of a 256-bit secret: naming the token by its prefix reveals nothing usable.
    issued.info = storage::ApiToken{hash.substr(0, 16), user_id, name, scope, now(), now() + lifetime_days * 86400};
    if (Status s = store_.create_api_token(issued.info, hash); !s) return s;
    return issued;
}

Result<std::optional<std::pair<storage::User, std::string>>> Accounts::api_token_user(std::string_view token) {
    if (!looks_like_token(token)) return std::optional<std::pair<storage::User, std::string>>();
    return store_.api_token_user(secret_hash(token), now());
}

Result<IssuedBrokerCredential> Accounts::issue_broker_credential(const storage::User& user,
                                                                  const std::vector<std::string>& devices,
                                                                  std::string_view signing_secret) {
    IssuedBrokerCredential issued;
    issued.username = std::string(kBrokerCredentialPrefix) + random_token().substr(0, 20);
    std::int64_t t = now();
    issued.expires_at = t + options_.broker_credential_seconds;
    if (signing_secret.empty()) {
        issued.password = random_token();
    } else {
        // The page's client ids are the username itself or username-<n>.
        rules::BrokerClaims claims{issued.username, user.username, issued.username, devices, t, issued.expires_at};
        auto token = rules::sign_broker_credential(claims, signing_secret);
        if (!token) return token.status();
        issued.password = std::move(token).value();
    }
    storage::BrokerCredential stored{issued.username, secret_hash(issued.password), user.id, issued.expires_at};
    if (Status s = store_.create_broker_credential(stored, t); !s) return s;
    return issued;
}

Result<std::optional<std::int64_t>> Accounts::check_broker_credential(const std::string& username,
                                                                      std::string_view password) {
    if (username.substr(0, kBrokerCredentialPrefix.size()) != kBrokerCredentialPrefix ||
        !(looks_like_token(password) || rules::is_signed_credential(password)))
        return std::optional<std::int64_t>();
    auto credential = store_.broker_credential(username, now());
    if (!credential) return credential.status();
    if (!*credential || !constant_time_equals((*credential)->password_hash, secret_hash(password)))
        return std::optional<std::int64_t>();
    return std::optional<std::int64_t>((*credential)->user_id);
}

}  // namespace lampi::cloud::accounts
