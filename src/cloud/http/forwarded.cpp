#include "http/forwarded.h"

#include <arpa/inet.h>
#include <fmt/core.h>

#include <charconv>
#include <cstring>
#include <optional>

namespace lampi::cloud::http {
namespace {

std::optional<std::array<unsigned char, 16>> to_bytes(std::string_view text) {
    std::string s(text);
    std::array<unsigned char, 16> out{};
    if (inet_pton(AF_INET6, s.c_str(), out.data()) == 1) return out;
    unsigned char v4[4];
    if (inet_pton(AF_INET, s.c_str(), v4) == 1) {
        out[10] = 0xff;
        out[11] = 0xff;
        std::memcpy(out.data() + 12, v4, 4);
        return out;
    }
    return std::nullopt;
}

// Every comma-separated entry of every `name` header, in order.
std::vector<std::string_view> list_header(const Request& request, std::string_view name) {
    std::vector<std::string_view> out;
    for (const Header& h : request.headers) {
        if (!iequals(h.name, name)) continue;
        std::string_view v = h.value;
        while (true) {
            std::size_t comma = v.find(',');
            out.push_back(trim_ows(v.substr(0, comma)));
            if (comma == std::string_view::npos) break;
            v.remove_prefix(comma + 1);
        }
    }
    return out;
}

}  // namespace

Result<TrustedProxies> TrustedProxies::parse(const std::vector<std::string>& entries) {
    TrustedProxies proxies;
    for (const std::string& entry : entries) {
        std::string_view text = entry;
        std::size_t slash = text.find('/');
        auto bytes = to_bytes(text.substr(0, slash));
        if (!bytes)
            return Status::error(fmt::format("--trusted-proxy '{}' is not an IP address or ADDRESS/PREFIX", entry));
        bool v4 = text.substr(0, slash).find(':') == std::string_view::npos;
        Net net;
        net.bytes = *bytes;
        net.prefix = 128;
        if (slash != std::string_view::npos) {
            std::string_view p = text.substr(slash + 1);
            int prefix = -1;
            auto [ptr, ec] = std::from_chars(p.data(), p.data() + p.size(), prefix);
            int max = v4 ? 32 : 128;
            if (ec != std::errc() || ptr != p.data() + p.size() || prefix < 0 || prefix > max)
                return Status::error(fmt::format("--trusted-proxy '{}': the prefix length must be 0..{}", entry, max));
            net.prefix = v4 ? prefix + 96 : prefix;
        }
        proxies.nets_.push_back(net);
    }
    return proxies;
}

bool TrustedProxies::contains(std::string_view address) const {
    auto bytes = to_bytes(address);
    if (!bytes) return false;
    for (const Net& net : nets_) {
        int full = net.prefix / 8, rest = net.prefix % 8;
        if (std::memcmp(bytes->data(), net.bytes.data(), static_cast<std::size_t>(full)) != 0) continue;
        if (rest != 0) {
            auto mask = static_cast<unsigned char>(0xff << (8 - rest));
            if ((((*bytes)[full]) & mask) != (net.bytes[full] & mask)) continue;
        }
        return true;
    }
    return false;
}

std::string client_address(const Request& request, const TrustedProxies& proxies) {
    std::string current = request.remote_address;
    if (proxies.empty() || !proxies.contains(current)) return current;
    auto hops = list_header(request, "X-Forwarded-For");
    while (!hops.empty() && proxies.contains(current)) {
        std::string_view next = hops.back();
        hops.pop_back();
        // A trusted proxy always writes an address; anything else means the
        // chain cannot be followed further, so the last known hop stands.
        if (!to_bytes(next)) break;
        current = std::string(next);
    }
    return current;
}

bool client_secure(const Request& request, const TrustedProxies& proxies) {
    if (request.secure) return true;
    if (proxies.empty() || !proxies.contains(request.remote_address)) return false;
    auto protos = list_header(request, "X-Forwarded-Proto");
    return !protos.empty() && iequals(protos.back(), "https");
}

bool is_loopback(std::string_view address) {
    return address.rfind("127.", 0) == 0 || address == "::1" || address.rfind("::ffff:127.", 0) == 0;
}

bool has_forwarding_headers(const Request& request) {
    return request.has_header("X-Forwarded-For") || request.has_header("Forwarded") || request.has_header("X-Real-IP");
}

bool is_direct_local_caller(const Request& request) {
    return is_loopback(request.remote_address) && !has_forwarding_headers(request);
}

}  // namespace lampi::cloud::http
