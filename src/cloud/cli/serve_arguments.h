// What `lampi-cloud serve` is given on its command line (or in its --config file)
// beyond a ServeConfig: secrets by file, durations in seconds, switches phrased
// the other way round. serve_with() checks them, reads the secrets and serves.
#pragma once

#include <string>
#include <vector>

#include "cli/commands.h"
#include "lampi/mqtt_client.h"

namespace lampi::cloud::cli {

struct ServeArguments {
    ServeConfig serve;
    std::string mqtt_password_file;
    std::string auth_secret_file;
    MqttTls mqtt_tls;
    std::vector<std::string> service_accounts;  // NAME:FILE
    std::vector<std::string> trusted_proxies;   // ADDRESS or ADDRESS/PREFIX
    std::vector<std::string> analytics_group_rollups;  // COLLECTION.PROPERTY, besides the defaults
    bool no_signup = false;
    // The CA that signs enrolled lamps' certificates (POST /api/v1/enroll).
    std::string enroll_ca_dir;
    std::string enroll_ca_passphrase_file;
    int enroll_days = 365;  // validity of the lamps' certificates it signs
    int relay_idle_seconds = 120;
    int relay_write_seconds = 15;
};

// Exit code as serve() (2: the arguments are inconsistent or a secret file is unsafe).
int serve_with(ServeArguments arguments, const CommonConfig& common);

}  // namespace lampi::cloud::cli
