#include "enroll/device_enrollment.h"

#include <fmt/core.h>

#include "certificate_authority.h"
#include "device_request.h"
#include "lampi/log.h"

namespace lampi::cloud::enroll {

Result<Enrolled> DeviceEnrollment::enroll(std::string_view token, std::string_view csr_pem, std::int64_t now) {
    if (!enabled()) {
        return Status::unavailable(
            "device enrollment is not set up on this server (lampi-cloud serve --enroll-ca-dir)");
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
    Result<ca::CertificateAuthority> authority = ca::CertificateAuthority::open(ca_.dir, ca::OpenOptions{ca_.passphrase});
    if (!authority) {
        give_back();
        return Status::internal(fmt::format("enrollment CA: {}", authority.status().message()));
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
    return Enrolled{device_id, signed_cert->entry.serial, signed_cert->cert_pem, signed_cert->chain_pem,
                    static_cast<std::int64_t>(signed_cert->entry.not_after)};
}

}  // namespace lampi::cloud::enroll
