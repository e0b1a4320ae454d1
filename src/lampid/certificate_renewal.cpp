#include "certificate_renewal.h"

#include <fmt/core.h>

#include <algorithm>
#include <ctime>
#include <filesystem>
#include <utility>

#include "ca_store.h"
#include "lampi/log.h"

namespace lampi::lampid {
namespace {

std::string utc(std::int64_t seconds) { return ca::format_utc(static_cast<std::time_t>(seconds)); }

std::string in_words(std::chrono::milliseconds delay) {
    auto seconds = std::chrono::duration_cast<std::chrono::seconds>(delay).count();
    if (seconds < 120) return fmt::format("{} s", seconds);
    if (seconds < std::int64_t{2} * 3600) return fmt::format("{} min", seconds / 60);
    return fmt::format("{} h", seconds / 3600);
}

}  // namespace

CertificateRenewal::CertificateRenewal(RenewalPolicy policy, Clock clock, ReadExpiry read_expiry, Renew renew,
                                       Renew enroll)
    : policy_(policy),
      clock_(std::move(clock)),
      read_expiry_(std::move(read_expiry)),
      renew_(std::move(renew)),
      enroll_(std::move(enroll)),
      backoff_(policy.first_retry) {}

bool CertificateRenewal::done(const Enrollment& enrollment, Clock::SteadyTime now) {
    failures_ = 0;
    backoff_ = policy_.first_retry;
    next_check_ = now + policy_.check_every;
    if (on_renewed) on_renewed(enrollment);
    return true;
}

bool CertificateRenewal::enroll(Clock::SteadyTime now) {
    log::info("the lamp has no certificate yet: enrolling with its token");
    Result<Enrollment> enrolled = enroll_();
    if (!enrolled) {
        retry_later(fmt::format("enrolling the lamp failed: {}", enrolled.status().message()),
                    "If this goes on: check that the cloud is reachable from the lamp and trusted (--cloud-ca-file), "
                    "and that the token is valid (lampi-cloud enroll-token create makes a new one).");
        return false;
    }
    log::info("enrolled: certificate serial {}, valid until {}", enrolled->serial, utc(enrolled->expires_at));
    return done(*enrolled, now);
}

void CertificateRenewal::retry_later(const std::string& what, const std::string& advice) {
    ++failures_;
    log::error("{}; trying again in {} ({} failure{} in a row). {}", what, in_words(backoff_), failures_,
               failures_ == 1 ? "" : "s", advice);
    next_check_ = clock_.steady() + backoff_;
    backoff_ = std::min(backoff_ * 2, policy_.max_retry);
}

bool CertificateRenewal::tick() {
    Clock::SteadyTime now = clock_.steady();
    if (started_ && now < next_check_) return false;
    started_ = true;

    Result<std::int64_t> expires = read_expiry_();
    if (!expires && expires.status().code() == StatusCode::not_found && enroll_) return enroll(now);
    if (!expires) {
        retry_later(fmt::format("cannot read the lamp's certificate to renew it: {}", expires.status().message()),
                    "Enroll the lamp (lampid enroll) or fix the certificate file named in lampid's configuration.");
        return false;
    }
    std::int64_t wall_now = clock_.wall_ms() / 1000;
    std::int64_t window = std::int64_t{policy_.days_before_expiry} * 86400;
    if (*expires - wall_now > window) {
        log::debug("the lamp's certificate is valid until {}; renewal {} days before", utc(*expires),
                   policy_.days_before_expiry);
        failures_ = 0;
        backoff_ = policy_.first_retry;
        next_check_ = now + policy_.check_every;
        return false;
    }

    log::info("the lamp's certificate expires {}: renewing it", utc(*expires));
    Result<Enrollment> renewed = renew_();
    if (!renewed) {
        std::string advice =
            *expires > wall_now
                ? fmt::format(
                      "The current certificate still works until {}. If this goes on: check that the cloud "
                      "is reachable from the lamp and that its certificate is trusted (--cloud-ca-file); "
                      "an operator can see the lamp's certificates with lampi-ca list.",
                      utc(*expires))
                : "The certificate has expired: the cloud will not renew it. Ask the operator for an enrollment "
                  "token and run lampid enroll --force.";
        retry_later(fmt::format("renewing the lamp's certificate failed: {}", renewed.status().message()), advice);
        return false;
    }
    log::info("renewed the lamp's certificate: serial {}, valid until {}", renewed->serial, utc(renewed->expires_at));
    return done(*renewed, now);
}

CertificateRenewal make_certificate_renewal(const RenewalFiles& files, RenewalPolicy policy, Clock clock) {
    // Field by field, as the CA's index and lampi-load's monitor copy theirs:
    // lampid's options and the enrollment client's are separate structs on purpose.
    EnrollOptions renew;
    renew.cloud_url = files.cloud_url;
    renew.ca_file = files.ca_file;
    renew.key_file = files.key_file;
    renew.cert_file = files.cert_file;
    renew.chain_file = files.chain_file;
    renew.key_readable_by_group = files.key_readable_by_group;
    renew.renew = true;  // whether it is due is decided by CertificateRenewal, on its clock
    CertificateRenewal::Renew enroll;
    if (!files.token_file.empty()) {
        EnrollOptions first = renew;
        first.renew = false;
        first.token_file = files.token_file;
        first.device_id = files.device_id;
        enroll = [first] { return enroll_device(first); };
    }
    auto read_expiry = [cert = files.cert_file]() -> Result<std::int64_t> {
        std::error_code ec;
        if (!std::filesystem::exists(cert, ec)) return Status::not_found(fmt::format("no certificate at {}", cert));
        return certificate_expires_at(cert);
    };
    return {policy, std::move(clock), std::move(read_expiry), [renew] { return enroll_device(renew); },
            std::move(enroll)};
}

}  // namespace lampi::lampid
