#include "mqtt/payload.h"

#include <fmt/format.h>

#include <charconv>

namespace lampi::load {
namespace {

constexpr std::string_view kMagic = "LL1 ";

bool parse_number(std::string_view& text, auto& value, char end) {
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || ptr == text.data() + text.size() || *ptr != end) return false;
    text.remove_prefix(static_cast<std::size_t>(ptr - text.data()) + 1);
    return true;
}

}  // namespace

void encode_payload(std::string& out, const PayloadHeader& header, std::size_t size) {
    out.clear();
    fmt::format_to(std::back_inserter(out), "{}{} {} {} {}|", kMagic, header.seq, header.total, header.sent_wall_ns,
                   header.publisher);
    if (out.size() < size) out.append(size - out.size(), '.');
}

std::optional<PayloadHeader> decode_payload(std::string_view payload) {
    if (!payload.starts_with(kMagic)) return std::nullopt;
    payload.remove_prefix(kMagic.size());
    PayloadHeader h;
    if (!parse_number(payload, h.seq, ' ') || !parse_number(payload, h.total, ' ') ||
        !parse_number(payload, h.sent_wall_ns, ' ')) {
        return std::nullopt;
    }
    auto bar = payload.find('|');
    if (bar == std::string_view::npos) return std::nullopt;
    h.publisher = payload.substr(0, bar);
    return h;
}

std::string expand_topic(std::string_view pattern, std::string_view client, std::uint64_t seq) {
    std::string out;
    out.reserve(pattern.size() + client.size());
    for (std::size_t i = 0; i < pattern.size();) {
        if (pattern.substr(i).starts_with("{client}")) {
            out += client;
            i += 8;
        } else if (pattern.substr(i).starts_with("{seq}")) {
            fmt::format_to(std::back_inserter(out), "{}", seq);
            i += 5;
        } else {
            out += pattern[i++];
        }
    }
    return out;
}

bool topic_uses_seq(std::string_view pattern) { return pattern.find("{seq}") != std::string_view::npos; }

}  // namespace lampi::load
