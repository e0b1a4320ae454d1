// Certificate signing requests from lamps: making one on the device, and
// checking one before the CA signs it.
//
// What the CA takes from a request is deliberately little: the subject CN (which
// must already be a device id in its canonical form, 12 lowercase hex digits)
// and the public key. Requested extensions, other subject fields and the
// signature algorithm's parameters are ignored; the certificate gets the CA's
// own device profile (see x509_builder.h).
#pragma once

#include <string>
#include <string_view>

#include "lampi/status.h"
#include "openssl_handles.h"

namespace lampi::ca {

struct DeviceRequest {
    std::string device_id;
    PkeyPtr public_key;
};

// Parses a PEM "CERTIFICATE REQUEST" and checks, in this order: its
// self-signature (the requester holds the private key), that the subject has
// exactly one CN and it is a device id, and that the key is one the CA issues
// for (check_subject_key). Messages are safe to show to the requester.
Result<DeviceRequest> read_device_request(std::string_view pem);

// Key types the CA signs: EC P-256, or RSA of 3072 bits or more (the kinds
// `lampi-ca --key-type` makes, RSA allowed to be stronger).
Status check_subject_key(EVP_PKEY* key);

// A CSR with subject CN = `common_name`, signed with `key` (SHA-256), in PEM.
Result<std::string> make_request_pem(EVP_PKEY* key, const std::string& common_name);

// Renewal: the lamp proves it holds its current certificate's key by signing
// the new request's PEM text with it (SHA-256, base64). sign_renewal makes that
// signature on the lamp; check_renewal_signature verifies it with `current`'s key.
Result<std::string> sign_renewal(EVP_PKEY* current_key, std::string_view csr_pem);
Status check_renewal_signature(X509* current, std::string_view csr_pem, std::string_view signature_base64);

}  // namespace lampi::ca
