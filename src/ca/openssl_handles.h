// RAII owners for the OpenSSL objects lampi-ca uses, and one way to turn
// OpenSSL's error queue into a readable message.
//
// Every OpenSSL object is held by one of these unique_ptr aliases from the moment
// it is created, so an early return never leaks (the test suite runs under ASan).
// Functions that take ownership (the *0 / set0 family) are called with
// handle.release() only after they succeeded.
#pragma once

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <string>
#include <string_view>

namespace lampi::ca {

template <auto Free>
struct OpenSslDeleter {
    template <typename T>
    void operator()(T* p) const {
        if (p) Free(p);
    }
};

template <typename T, auto Free>
using OpenSslPtr = std::unique_ptr<T, OpenSslDeleter<Free>>;

using PkeyPtr = OpenSslPtr<EVP_PKEY, EVP_PKEY_free>;
using PkeyCtxPtr = OpenSslPtr<EVP_PKEY_CTX, EVP_PKEY_CTX_free>;
using X509Ptr = OpenSslPtr<X509, X509_free>;
using X509ReqPtr = OpenSslPtr<X509_REQ, X509_REQ_free>;
using CrlPtr = OpenSslPtr<X509_CRL, X509_CRL_free>;
using RevokedPtr = OpenSslPtr<X509_REVOKED, X509_REVOKED_free>;
using NamePtr = OpenSslPtr<X509_NAME, X509_NAME_free>;
using ExtensionPtr = OpenSslPtr<X509_EXTENSION, X509_EXTENSION_free>;
using BioPtr = OpenSslPtr<BIO, BIO_free_all>;
using StorePtr = OpenSslPtr<X509_STORE, X509_STORE_free>;
using StoreCtxPtr = OpenSslPtr<X509_STORE_CTX, X509_STORE_CTX_free>;
using Asn1IntegerPtr = OpenSslPtr<ASN1_INTEGER, ASN1_INTEGER_free>;
using Asn1EnumPtr = OpenSslPtr<ASN1_ENUMERATED, ASN1_ENUMERATED_free>;
using Asn1TimePtr = OpenSslPtr<ASN1_TIME, ASN1_TIME_free>;
using BignumPtr = OpenSslPtr<BIGNUM, BN_free>;
using GeneralNamesPtr = OpenSslPtr<GENERAL_NAMES, GENERAL_NAMES_free>;
using GeneralNamePtr = OpenSslPtr<GENERAL_NAME, GENERAL_NAME_free>;
using ExtKeyUsagePtr = OpenSslPtr<EXTENDED_KEY_USAGE, EXTENDED_KEY_USAGE_free>;

// An OPENSSL_malloc'ed string (BN_bn2hex and friends).
struct OpenSslStringFree {
    void operator()(char* p) const { OPENSSL_free(p); }
};
using OpenSslString = std::unique_ptr<char, OpenSslStringFree>;

// "<context>: <every queued OpenSSL error>" and clears the queue, so one failure
// never leaks its reasons into the next message.
std::string openssl_error(std::string_view context);

// Drops whatever OpenSSL queued (after an expected failure, e.g. trying a passphrase).
void clear_openssl_errors();

}  // namespace lampi::ca
