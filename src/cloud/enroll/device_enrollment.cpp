#include "enroll/device_enrollment.h"

#include <fmt/core.h>

#include "device_request.h"
#include "lampi/log.h"

namespace lampi::cloud::enroll {
namespace {

constexpr const char* kNotSetUp = "device enrollment is not set up on this server (lampi-cloud serve --enroll-ca-dir)";

Enrolled enrolled_from(ca::SignedCertificate signed_cert) {
    return Enrolled{signed_cert.entry.common_name, signed_cert.entry.serial, std::move(signed_cert.cert_pem),
                    std::move(signed_cert.chain_pem), static_cast<std::int64_t>(signed_cert.entry.not_after)};
}

}  // namespace

Result<ca::CertificateAuthority> DeviceEnrollment::open_ca() const {
    Result<ca::CertificateAuthority> authority = ca::CertificateAuthority::open(ca_.dir, ca::OpenOptions{ca_.passphrase});
    if (!authority) return Status::internal(fmt::format("enrollment CA: {}", authority.status().message()));
    return authority;
}

Result<Enrolled> DeviceEnrollment::renew(std::string_view current_pem, std::string_view csr_pem,
                                         std::string_view signature) {
    if (!enabled()) return Status::unavailable(kNotSetUp);
    Result<ca::CertificateAuthority> authority = open_ca();
    if (!authority) return authority.status();
    ca::IssueOptions options;
    options.days = ca_.days;
    Result<ca::SignedCertificate> signed_cert = authority.value().renew_device(current_pem, csr_pem, signature, options);
    if (!signed_cert) {
        switch (signed_cert.status().code()) {
            case StatusCode::invalid_argument:
            case StatusCode::permission_denied: return signed_cert.status();
            case StatusCode::already_exists:
                return Status::failed_precondition(
                    "this certificate was already renewed: use the new one, or ask an operator to revoke it");
            default: return Status::internal(fmt::format("enrollment CA: {}", signed_cert.status().message()));
        }
    }
    log::info("renewed device {}: certificate serial {}", signed_cert->entry.common_name, signed_cert->entry.serial);
    return enrolled_from(std::move(signed_cert).value());
}

Result<Enrolled> DeviceEnrollment::enroll(std::string_view token, std::string_view csr_pem, std::int64_t now) {
    if (!enabled()) {
        return Status::unavailable(kNotSetUp);
    }
    // The request is checked before the token is touched: a malformed request
    // must not use up the operator's token.
    Result<ca::DeviceRequest> request = ca::read_device_request(csr_pem);
    if (!request) return Status::invalid_argument(request.status().message());
    const std::string& device_id = request->device_id;
    if (Status s = tokens_.consume(token, device_id, now); !s) return s;

    auto give_back = [&] {
        if (Status s = tokens_.give_back(token, device_id, now); !s)
            log::warn("enrollment of {} failed and its token could not be given back: {}", device_id, s.message());
    };
    Result<ca::CertificateAuthority> authority = open_ca();
    if (!authority) {
        give_back();
        return authority.status();
    }
    ca::IssueOptions options;
    options.days = ca_.days;
    Result<ca::SignedCertificate> signed_cert = authority.value().sign_device_request(csr_pem, options);
    if (!signed_cert) {
        give_back();
        if (signed_cert.status().code() == StatusCode::already_exists) {
            return Status::failed_precondition(fmt::format(
                "device {} already has a valid certificate; an operator must revoke it before it enrolls again",
                device_id));
        }
        return Status::internal(fmt::format("enrollment CA: {}", signed_cert.status().message()));
    }
    log::info("enrolled device {}: certificate serial {}", device_id, signed_cert->entry.serial);
    return enrolled_from(std::move(signed_cert).value());
}

}  // namespace lampi::cloud::enroll
