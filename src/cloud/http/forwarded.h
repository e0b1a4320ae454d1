// Who the client is when lampi-cloud sits behind reverse proxies (nginx).
//
// X-Forwarded-For and X-Forwarded-Proto are trusted only when the connection
// comes from a configured proxy: anyone else could write them to pick the
// address they are rate-limited under, or to look like HTTPS. Behind several
// trusted proxies the list is walked from the right (the entry the nearest proxy
// appended) to the first address that is not a trusted proxy.
#pragma once

#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "http/message.h"
#include "lampi/status.h"

namespace lampi::cloud::http {

class TrustedProxies {
public:
    // Addresses or networks: "127.0.0.1", "::1", "10.0.0.0/8", "fd00::/8".
    static Result<TrustedProxies> parse(const std::vector<std::string>& entries);
    bool contains(std::string_view address) const;
    bool empty() const { return nets_.empty(); }

private:
    struct Net {
        std::array<unsigned char, 16> bytes{};  // IPv4 as IPv4-mapped IPv6
        int prefix = 128;
    };
    std::vector<Net> nets_;
};

// The client's address: the peer, or behind trusted proxies the address they
// report. Always a parsable IP address (never header garbage).
std::string client_address(const Request& request, const TrustedProxies& proxies);
// True over TLS, or when a trusted proxy reports X-Forwarded-Proto: https.
bool client_secure(const Request& request, const TrustedProxies& proxies);

// 127.0.0.0/8, ::1 or an IPv4-mapped 127.x address.
bool is_loopback(std::string_view address);
// A caller on this host that no proxy relayed: its peer address is loopback and it
// carries no forwarding header (X-Forwarded-For, Forwarded, X-Real-IP). A request
// relayed by a proxy on the same host (nginx) is someone outside, whatever its peer.
bool is_direct_local_caller(const Request& request);
bool has_forwarding_headers(const Request& request);

}  // namespace lampi::cloud::http
