// Status and Result: how errors travel between layers.
//
// A Status is either ok or carries a code and a message. The message is meant for
// a person ("what is wrong and what to do"); the code says what kind of failure it
// is, so the layer that answers a user (an HTTP status, an exit code) decides from
// the code and never by reading the text. The codes follow LevelDB's and Abseil's:
//
//   invalid_argument     the request itself is wrong; repeating it cannot help
//   not_found            what was named does not exist (or is not the caller's)
//   already_exists       what was to be created exists already
//   permission_denied    the caller is known but may not do this
//   unauthenticated      the caller is not known (no or a bad credential)
//   resource_exhausted   a rate limit or a quota is used up; try again later
//   failed_precondition  the system is not in the state the request needs
//   expired              it existed but is no longer valid (a used-up code)
//   unavailable          a dependency is down for now; the same request may work later
//   internal             a fault on our side (a database error, a broken invariant)
//   unknown              Status::error(): a failure nobody classified
//
// internal and unknown messages may hold details a user must not see (SQL text,
// paths): code that answers users shows them only in the log.
//
// Result<T> is a value or a failed Status. Neither throws, and neither may be
// dropped silently: ignoring one takes an explicit (void) cast.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace lampi {

enum class StatusCode : std::uint8_t {
    ok,
    unknown,
    invalid_argument,
    not_found,
    already_exists,
    permission_denied,
    unauthenticated,
    resource_exhausted,
    failed_precondition,
    expired,
    unavailable,
    internal,
};

// "ok", "invalid_argument", ...: the enumerator's name.
std::string_view status_code_name(StatusCode code);

class [[nodiscard]] Status {
public:
    Status() = default;
    static Status ok() { return {}; }
    // A failure of no particular kind: fine for a command-line tool's message;
    // anything an HTTP client may see takes one of the named kinds below.
    static Status error(std::string message) { return {StatusCode::unknown, std::move(message)}; }
    static Status invalid_argument(std::string message) { return {StatusCode::invalid_argument, std::move(message)}; }
    static Status not_found(std::string message) { return {StatusCode::not_found, std::move(message)}; }
    static Status already_exists(std::string message) { return {StatusCode::already_exists, std::move(message)}; }
    static Status permission_denied(std::string message) { return {StatusCode::permission_denied, std::move(message)}; }
    static Status unauthenticated(std::string message) { return {StatusCode::unauthenticated, std::move(message)}; }
    static Status resource_exhausted(std::string message) {
        return {StatusCode::resource_exhausted, std::move(message)};
    }
    static Status failed_precondition(std::string message) {
        return {StatusCode::failed_precondition, std::move(message)};
    }
    static Status expired(std::string message) { return {StatusCode::expired, std::move(message)}; }
    static Status unavailable(std::string message) { return {StatusCode::unavailable, std::move(message)}; }
    static Status internal(std::string message) { return {StatusCode::internal, std::move(message)}; }
    // Any code; ok ignores the message.
    static Status with_code(StatusCode code, std::string message) {
        return code == StatusCode::ok ? Status() : Status(code, std::move(message));
    }

    bool is_ok() const { return code_ == StatusCode::ok; }
    explicit operator bool() const { return is_ok(); }
    StatusCode code() const { return code_; }
    std::string_view code_name() const { return status_code_name(code_); }
    // Empty for an ok status.
    const std::string& message() const { return message_; }
    // The same kind of failure with `context` in front of the message
    // ("cannot save the user: " + message); ok stays ok.
    Status prefixed(std::string_view context) const {
        return is_ok() ? Status() : Status(code_, std::string(context) + message_);
    }

private:
    Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}
    StatusCode code_ = StatusCode::ok;
    std::string message_;
};

inline std::string_view status_code_name(StatusCode code) {
    switch (code) {
        case StatusCode::ok: return "ok";
        case StatusCode::unknown: return "unknown";
        case StatusCode::invalid_argument: return "invalid_argument";
        case StatusCode::not_found: return "not_found";
        case StatusCode::already_exists: return "already_exists";
        case StatusCode::permission_denied: return "permission_denied";
        case StatusCode::unauthenticated: return "unauthenticated";
        case StatusCode::resource_exhausted: return "resource_exhausted";
        case StatusCode::failed_precondition: return "failed_precondition";
        case StatusCode::expired: return "expired";
        case StatusCode::unavailable: return "unavailable";
        case StatusCode::internal: return "internal";
    }
    return "unknown";
}

template <typename T>
class [[nodiscard]] Result {
public:
    Result(T value) : value_(std::move(value)) {}
    // A failed status; an ok one here is a bug of the caller, kept as internal so
    // it can never pass for a value.
    Result(Status status)
        : status_(status.is_ok() ? Status::internal("a Result was made from an ok Status without a value")
                                 : std::move(status)) {}

    bool is_ok() const { return value_.has_value(); }
    explicit operator bool() const { return is_ok(); }
    const Status& status() const { return status_; }
    const T& value() const& { return *value_; }
    T& value() & { return *value_; }
    T&& value() && { return std::move(*value_); }
    const T* operator->() const { return &*value_; }
    const T& operator*() const { return *value_; }

private:
    std::optional<T> value_;
    Status status_;
};

}  // namespace lampi
