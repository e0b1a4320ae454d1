// CertificateRenewal: lampid keeps the lamp's certificate valid while it runs,
// so a lamp left alone for a year does not fall off the cloud broker.
//
// Contract: tick() does nothing until a check is due (at the first tick, then
// every `check_every`). A check reads when the current certificate expires; when
// that is within `days_before_expiry` it renews through `renew` (the code of
// `lampid enroll --renew`, which writes key, certificate and chain atomically)
// and then calls on_renewed. A failure never throws and never stops lampid: it
// is logged with what to do and tried again after a backoff that doubles from
// `first_retry` up to `max_retry`. tick() may block for as long as `renew` does
// (one HTTPS POST): run it off the MQTT loop. Not thread-safe; one caller.
// With an `enroll` function, a lamp that has no certificate yet (read_expiry
// says not_found) enrolls with it first, with the same retries.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "clock.h"
#include "enrollment.h"
#include "lampi/status.h"

namespace lampi::lampid {

struct RenewalPolicy {
    int days_before_expiry = 30;
    std::chrono::milliseconds check_every = std::chrono::hours(24);
    std::chrono::milliseconds first_retry = std::chrono::seconds(5);
    std::chrono::milliseconds max_retry = std::chrono::hours(6);
};

class CertificateRenewal {
public:
    // When the current certificate expires, in seconds since the Unix epoch.
    using ReadExpiry = std::function<Result<std::int64_t>()>;
    using Renew = std::function<Result<Enrollment>()>;

    CertificateRenewal(RenewalPolicy policy, Clock clock, ReadExpiry read_expiry, Renew renew, Renew enroll = {});

    // Checks (and renews) when due. True when this call renewed the certificate.
    bool tick();

    std::function<void(const Enrollment&)> on_renewed;

    Clock::SteadyTime next_check() const { return next_check_; }
    int failures_in_a_row() const { return failures_; }

private:
    void retry_later(const std::string& what, const std::string& advice);
    bool done(const Enrollment& enrollment, Clock::SteadyTime now);
    bool enroll(Clock::SteadyTime now);

    RenewalPolicy policy_;
    Clock clock_;
    ReadExpiry read_expiry_;
    Renew renew_;
    Renew enroll_;
    Clock::SteadyTime next_check_{};
    bool started_ = false;
    int failures_ = 0;
    std::chrono::milliseconds backoff_;
};

// The options `lampid` renews with: `lampid enroll --renew` on these files.
struct RenewalFiles {
    std::string cloud_url;
    std::string ca_file;
    std::string key_file;
    std::string cert_file;
    std::string chain_file;  // '' : default_chain_file(cert_file)
    std::string token_file;  // '' : never enroll, only renew
    std::string device_id;   // for the first enrollment; '' : from the MAC
    bool key_readable_by_group = false;  // the key 0640, for a broker reading it through the folder's group
};

// A CertificateRenewal over the real files and the real cloud.
CertificateRenewal make_certificate_renewal(const RenewalFiles& files, RenewalPolicy policy, Clock clock);

}  // namespace lampi::lampid
