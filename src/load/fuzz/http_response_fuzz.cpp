// Fuzzes lampi-load's HTTP response parser as a connection uses it: bytes from
// a server arriving in pieces. The first input byte picks where the stream is
// cut. Parsing never crashes or reads past its input, never consumes more than
// it was given, and the same bytes parse to the same response whether they
// arrive at once or in two pieces.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "http/response_parser.h"

namespace {

using lampi::load::http::ResponseParser;

void check(bool condition) {
    if (!condition) std::abort();
}

// Feeds `input` as a connection does (unconsumed bytes are offered again with
// the next piece); returns how many bytes the response took.
std::size_t parse(ResponseParser& parser, std::string_view input, std::size_t cut) {
    std::string pending;
    std::size_t taken = 0;
    for (std::string_view piece : {input.substr(0, cut), input.substr(cut)}) {
        if (piece.empty()) continue;  // nothing new: the parser may not be asked again
        pending.append(piece);
        std::size_t used = parser.feed(pending);
        check(used <= pending.size());
        taken += used;
        pending.erase(0, used);
        if (parser.state() != ResponseParser::State::need_more) break;
    }
    if (parser.state() == ResponseParser::State::need_more) parser.end_of_stream();
    return taken;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
    std::size_t cut = input.empty() ? 0 : data[0] % (input.size() + 1);
    ResponseParser whole;
    std::size_t taken_whole = parse(whole, input, input.size());
    ResponseParser split;
    std::size_t taken_split = parse(split, input, cut);
    check(taken_whole <= input.size() && taken_split <= input.size());
    check(whole.state() != ResponseParser::State::need_more && split.state() != ResponseParser::State::need_more);
    if (whole.state() == ResponseParser::State::complete && split.state() == ResponseParser::State::complete) {
        const auto& a = whole.response();
        const auto& b = split.response();
        check(a.status == b.status && a.keep_alive == b.keep_alive && a.location == b.location &&
              a.set_cookies == b.set_cookies && a.body_bytes == b.body_bytes && taken_whole == taken_split);
    }
    return 0;
}
