// `lampid enroll`: the lamp gets its own certificate from the cloud with a
// one-time token, instead of having a key copied onto it; `--renew` gets a new
// one (and a new key) by proving it holds the current certificate's key.
//
// The lamp makes an EC P-256 key (written 0600, never sent anywhere), a
// certificate request with CN = its device id, and posts both with the token
// to POST /api/v1/enroll on the cloud, whose certificate must chain to
// --ca-file and name the host of --cloud. On success it checks that the
// certificate is for its key and its device id, then writes the key, the
// certificate and the chain (certificate then CA), each atomically. Nothing is
// written on failure, and an existing key or certificate is kept unless
// --force. Every failure is a sentence for the person at the lamp.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "lampi/status.h"

namespace lampi::lampid {

struct EnrollOptions {
    std::string cloud_url;   // https://HOST:PORT
    std::string token_file;  // owner-only, the token on its first line
    std::string ca_file;     // the CA that vouches for the cloud
    std::string key_file;
    std::string cert_file;
    std::string chain_file;  // '' : cert_file with "-chain" before its extension
    std::string device_id;   // '' : from the MAC of the first network interface
    std::string sysfs_net = "/sys/class/net";
    bool force = false;      // replace an existing key and certificate
    // The key 0640 instead of 0600: on a packaged lamp the broker's bridge reads it
    // through the group (mosquitto) of the key's setgid folder.
    bool key_readable_by_group = false;
    // Renew instead: no token; prove the current key (key_file, cert_file) and
    // replace both. With renew_within_days > 0, only when the current
    // certificate expires within that many days (for a daily timer).
    bool renew = false;
    int renew_within_days = 0;
    std::chrono::milliseconds timeout{30000};
};

struct Enrollment {
    bool renewed_nothing = false;  // --renew with a certificate not yet due
    std::int64_t current_expires_at = 0;
    std::string device_id;
    std::string serial;
    std::string chain_file;
    std::int64_t expires_at = 0;
};

Result<Enrollment> enroll_device(const EnrollOptions& options);

// What `lampid enroll` prints; exit 0 when enrolled, 1 otherwise.
int run_enroll(const EnrollOptions& options);

// When the certificate in `cert_file` expires, in seconds since the Unix epoch.
Result<std::int64_t> certificate_expires_at(const std::string& cert_file);

// "lamp.pem" -> "lamp-chain.pem", "lamp" -> "lamp-chain".
std::string default_chain_file(const std::string& cert_file);

}  // namespace lampi::lampid
