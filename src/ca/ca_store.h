// The CA directory: its layout, the serial and CRL counters, and the index of
// issued certificates. Knows nothing about X.509 beyond serials as hex text.
//
// Layout of a CA directory (mode 0700):
//   ca.key       the CA private key (0600); never copied anywhere else
//   ca.pem       the CA certificate; written last by init, so its presence marks
//                a complete CA
//   serial       the next certificate serial, hex
//   crlnumber    the next CRL number, decimal
//   index.json   every certificate issued: {"format": 1, "certificates": [...]}
//   crl.pem      the current CRL
//   issued/<serial>.pem  a copy of every issued certificate
//   .lock        flock()ed by every CaStore, so two lampi-ca runs never
//                interleave their read-modify-write of the counters and index;
//                a CaStore that cannot get it within `lock_wait` fails
//
// A CaStore holds the lock for its whole life; it is movable, not copyable.
#pragma once

#include <chrono>
#include <cstdint>
#include <ctime>
#include <optional>
#include <string>
#include <vector>

#include "lampi/status.h"
#include "x509_builder.h"

namespace lampi::ca {

struct IndexEntry {
    std::string serial;  // canonical hex (normalize_serial)
    CertKind kind = CertKind::device;
    std::string common_name;
    std::vector<std::string> dns_names;
    std::vector<std::string> ip_addresses;
    std::time_t not_before = 0;
    std::time_t not_after = 0;
    std::optional<std::time_t> revoked_at;
    std::string revocation_reason;  // empty unless revoked
};

// "2025-01-31T12:00:00Z" and back (UTC).
std::string format_utc(std::time_t time);
Result<std::time_t> parse_utc(const std::string& text);

class CaStore {
public:
    static constexpr std::chrono::milliseconds kLockWait{10000};

    // Makes the directory (0700, parents as needed) and takes the lock. Fails if
    // it already holds a CA, complete or not.
    static Result<CaStore> create(const std::string& dir, std::chrono::milliseconds lock_wait = kLockWait);
    // Takes the lock on an existing, complete CA directory whose key is private.
    static Result<CaStore> open(const std::string& dir, std::chrono::milliseconds lock_wait = kLockWait);

    CaStore(CaStore&& other) noexcept;
    CaStore& operator=(CaStore&& other) noexcept;
    CaStore(const CaStore&) = delete;
    CaStore& operator=(const CaStore&) = delete;
    ~CaStore();

    const std::string& dir() const { return dir_; }
    std::string key_path() const { return dir_ + "/ca.key"; }
    std::string cert_path() const { return dir_ + "/ca.pem"; }
    std::string crl_path() const { return dir_ + "/crl.pem"; }
    std::string index_path() const { return dir_ + "/index.json"; }
    std::string serial_path() const { return dir_ + "/serial"; }
    std::string crl_number_path() const { return dir_ + "/crlnumber"; }
    std::string issued_path(const std::string& serial) const { return dir_ + "/issued/" + serial + ".pem"; }

    // Writes the initial counters and an empty index (init only).
    Status initialize_counters();
    // Returns the next serial and advances the counter on disk first, so a
    // serial is never handed out twice even if the caller then fails.
    Result<std::string> take_serial();
    Result<std::uint64_t> take_crl_number();

    Result<std::vector<IndexEntry>> load_index() const;
    Status save_index(const std::vector<IndexEntry>& entries);

private:
    CaStore(std::string dir, int lock_fd) : dir_(std::move(dir)), lock_fd_(lock_fd) {}
    static Result<int> lock(const std::string& dir, std::chrono::milliseconds wait);

    std::string dir_;
    int lock_fd_ = -1;
};

}  // namespace lampi::ca
