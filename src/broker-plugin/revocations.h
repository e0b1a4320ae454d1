// Revocations: what lampi-cloud told the plugin to end, in-band, on the control
// topic lampi/control/revoke (QoS 1, published only by lampi-cloud's own
// identity, delivered to nobody):
//   {"user":"<account>","issued_before":<unix seconds>}  every web credential of that
//       account issued before that second is disconnected and refused from then on
//       (logout, password change, token revocation, lamp release);
//   {"device":"<12 hex id>"}  lamp-<id> is disconnected and its certificate refused
//       until the broker restarts (its CRL, reloaded on SIGHUP, keeps it out after that).
// Parsing never trusts its input: anything else is an error, never a revocation.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>

#include "identity.h"
#include "lampi/status.h"

namespace lampi::broker {

inline constexpr std::string_view kRevokeTopic = "lampi/control/revoke";
// Everything under lampi/control/ is the plugin's: nobody subscribes there.
inline constexpr std::string_view kControlPrefix = "lampi/control/";

struct UserRevocation {
    std::string account;
    std::int64_t issued_before = 0;
};
struct DeviceRevocation {
    std::string device_id;
};
using Revocation = std::variant<UserRevocation, DeviceRevocation>;

Result<Revocation> parse_revocation(std::string_view payload);

class Revocations {
public:
    void apply(const Revocation& revocation);
    // Does a revocation cover this identity (a web credential issued before its
    // account's cut-off, or a revoked lamp)?
    bool covers(const Identity& who) const;

private:
    std::unordered_map<std::string, std::int64_t> users_;  // account -> issued_before
    std::set<std::string> devices_;
};

}  // namespace lampi::broker
