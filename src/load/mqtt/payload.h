// The load payload: a short text header a subscriber can check, padded to size.
//
//   "LL1 <seq> <total> <sent_wall_ns> <publisher>|" then '.' up to the requested size
//
// <seq> counts from 0 per publisher, <total> is how many that publisher will send
// (0 when it runs for a duration), <sent_wall_ns> is the wall clock at publish
// (CLOCK_REALTIME, comparable between processes on one host or with synchronised
// clocks). Text rather than binary so `mosquitto_sub -v` shows what is happening.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace lampi::load {

struct PayloadHeader {
    std::uint64_t seq = 0;
    std::uint64_t total = 0;
    std::int64_t sent_wall_ns = 0;
    std::string_view publisher;  // points into the parsed payload
};

// Writes the header and padding into `out` (reusing its capacity). The result is
// `size` bytes, or the header's length when `size` is smaller.
void encode_payload(std::string& out, const PayloadHeader& header, std::size_t size);
std::optional<PayloadHeader> decode_payload(std::string_view payload);

// Expands {client} and {seq} in a topic template.
std::string expand_topic(std::string_view pattern, std::string_view client, std::uint64_t seq);
bool topic_uses_seq(std::string_view pattern);

}  // namespace lampi::load
