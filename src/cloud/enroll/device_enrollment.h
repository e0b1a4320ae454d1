// DeviceEnrollment: a lamp trades a one-time token and a certificate request
// for its device certificate, signed by the platform CA.
//
// The lamp makes its key and never sends it; lampi-cloud checks the request
// (proof of possession, CN = a device id, key type: ca/device_request.h),
// consumes the token for that device id, and has the CA sign. The CA directory
// is opened (and its lock held) only for the signing. A failure after the token
// was consumed that is not the lamp's doing gives the token back.
// Every failure is a Status whose message is safe to show to the lamp; faults
// on our side are internal (the caller logs them and shows an error id).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "enroll/enrollment_tokens.h"
#include "certificate_authority.h"
#include "key_files.h"
#include "lampi/status.h"

namespace lampi::cloud::enroll {

struct CaAccess {
    std::string dir;                                // '' : enrollment is off (503)
    std::optional<ca::SecretString> passphrase;     // when ca.key is encrypted
    int days = 365;                                 // validity of what is issued
};

struct Enrolled {
    std::string device_id;
    std::string serial;
    std::string certificate_pem;
    std::string chain_pem;  // the certificate then the CA
    std::int64_t expires_at = 0;
};

class DeviceEnrollment {
public:
    DeviceEnrollment(EnrollmentTokens tokens, CaAccess ca) : tokens_(std::move(tokens)), ca_(std::move(ca)) {}

    bool enabled() const { return !ca_.dir.empty(); }
    Result<Enrolled> enroll(std::string_view token, std::string_view csr_pem, std::int64_t now);
    // No token: the lamp proves it holds its current certificate's key
    // (ca::CertificateAuthority::renew_device says what is checked).
    Result<Enrolled> renew(std::string_view current_pem, std::string_view csr_pem, std::string_view signature);

private:
    Result<ca::CertificateAuthority> open_ca() const;

    EnrollmentTokens tokens_;
    CaAccess ca_;
};

}  // namespace lampi::cloud::enroll
