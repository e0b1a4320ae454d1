// How the analytics API refuses a request: Keen IO's error shape.
//
// Keen's SDKs read {"message": ..., "error_code": ...}; the error_code names the
// kind of mistake in Keen's terms ("InvalidCollectionNameError"), while the
// Status says which HTTP status it gets (http/status_http.h) and carries the
// message a person reads. Faults on our side keep the platform's error-id rule
// (api/error_response.h): no details reach the caller.
#pragma once

#include <string>
#include <utility>
#include <variant>

#include "lampi/status.h"

namespace lampi::cloud::analytics {

struct KeenError {
    std::string error_code;
    Status status;
};

inline KeenError keen_error(std::string error_code, Status status) {
    return {std::move(error_code), std::move(status)};
}
inline KeenError invalid(std::string error_code, std::string message) {
    return {std::move(error_code), Status::invalid_argument(std::move(message))};
}

// A value or a KeenError.
template <typename T>
using KeenResult = std::variant<T, KeenError>;

template <typename T>
bool failed(const KeenResult<T>& r) {
    return std::holds_alternative<KeenError>(r);
}

}  // namespace lampi::cloud::analytics
