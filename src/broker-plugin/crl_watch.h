// Watches the CRL file the lamps' listener uses, so a certificate revoked with
// lampi-ca ends the lamp's live connection at once. Mosquitto 2.0.11 reads its
// CRL only when a client connects after a reload (SIGHUP): without this, a
// revoked lamp that stays connected keeps its rights.
//
// Contract: poll() is cheap (one stat) and is called from the broker's thread;
// it reports a CRL only when the file's modification time or size changed and
// the new file parses (a half-written file is read again at the next poll).
#pragma once

#include <openssl/x509.h>

#include <ctime>
#include <memory>
#include <string>

namespace lampi::broker {

struct CrlDeleter {
    void operator()(X509_CRL* crl) const { X509_CRL_free(crl); }
};
using CrlHandle = std::unique_ptr<X509_CRL, CrlDeleter>;

class CrlWatch {
public:
    explicit CrlWatch(std::string path) : path_(std::move(path)) {}

    // The CRL, when the file changed since the last poll that returned one.
    CrlHandle poll();
    const std::string& path() const { return path_; }

private:
    std::string path_;
    std::timespec seen_mtime_{};
    long long seen_size_ = -1;
};

// Is `certificate` on `crl`?
bool is_revoked(X509_CRL* crl, X509* certificate);

}  // namespace lampi::broker
