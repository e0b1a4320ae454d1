// Fuzzes the cluster's message decoders (cluster/worker_report.h): a worker's
// report and a controller's start command, as the other end receives them once
// their MAC matched. They never crash, and whatever opens encodes to text that
// opens to the same again.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "cluster/worker_report.h"

namespace {

void check(bool condition) {
    if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace lampi::load::cluster;
    std::string text(reinterpret_cast<const char*>(data), size);
    if (auto report = decode_report(text)) {
        std::string again = encode_report(*report);
        auto reopened = decode_report(again);
        check(static_cast<bool>(reopened));
        check(encode_report(*reopened) == again);
        check(reopened->latency.count() == report->latency.count());
    }
    if (auto start = decode_start(text)) {
        auto reopened = decode_start(encode_start(*start));
        check(static_cast<bool>(reopened));
        check(reopened->run == start->run && reopened->shares == start->shares);
    }
    return 0;
}
