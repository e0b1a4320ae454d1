// Status and Result: how errors travel between layers.
//
// A Status is either ok or carries a message meant for a person ("what is wrong
// and what to do"). Result<T> is a value or a Status. Neither throws.
#pragma once

#include <optional>
#include <string>
#include <utility>

namespace lampi {

class Status {
public:
    Status() = default;
    static Status ok() { return {}; }
    static Status error(std::string message) { return Status(std::move(message)); }

    bool is_ok() const { return !message_.has_value(); }
    explicit operator bool() const { return is_ok(); }
    // Empty for an ok status.
    const std::string& message() const {
        static const std::string empty;
        return message_ ? *message_ : empty;
    }

private:
    explicit Status(std::string message) : message_(std::move(message)) {}
    std::optional<std::string> message_;
};

template <typename T>
class Result {
public:
    Result(T value) : value_(std::move(value)) {}
    Result(Status status) : status_(std::move(status)) {}

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
