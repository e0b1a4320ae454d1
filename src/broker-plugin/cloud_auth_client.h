// CloudAuthClient: asks lampi-cloud's auth API (POST /auth/v1/user) who a client
// is and what it may do, over one reused HTTP(S) connection with a hard timeout.
//
// One instance per thread (it owns a libcurl handle). A transport failure (cloud
// down, timeout, non-200) is an error Status; a 200 answer is an AuthAnswer,
// allowed or not.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "auth_answer.h"
#include "client_registry.h"
#include "lampi/status.h"

namespace lampi::broker {

struct CloudAuthOptions {
    std::string url = "http://127.0.0.1:18832/auth/v1/user";
    std::string secret;      // sent as X-Lampi-Auth-Secret
    std::string ca_file;     // for an https:// url
    std::chrono::milliseconds timeout{1500};
};

// Not copyable, like MqttClient: it owns its connection (a libcurl handle).
class CloudAuthClient {
public:
    explicit CloudAuthClient(CloudAuthOptions options);
    ~CloudAuthClient();
    CloudAuthClient(const CloudAuthClient&) = delete;
    CloudAuthClient& operator=(const CloudAuthClient&) = delete;

    Result<AuthAnswer> check_user(const Credentials& credentials, std::string_view client_id);

private:
    struct Handle;
    CloudAuthOptions options_;
    std::unique_ptr<Handle> handle_;
};

}  // namespace lampi::broker
