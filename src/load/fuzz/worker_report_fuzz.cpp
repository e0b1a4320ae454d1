// Fuzzes the cluster's message decoders (cluster/worker_report.h): a worker's
// report, a controller's start and steer commands and heartbeat, as the other end receives
// them once their MAC matched. They never crash, and whatever opens encodes to
// text that opens to the same again: counts, buckets and names exactly; the
// report's decimal figures (sums, seconds) to within rounding, as Boost.JSON
// 1.81 reads a number of many digits to the nearest double or the next one.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "cluster/worker_report.h"

namespace {

void check(bool condition) {
    if (!condition) std::abort();
}

bool close(double a, double b) { return a == b || std::fabs(a - b) <= 1e-12 * std::max(std::fabs(a), std::fabs(b)); }

void check_same(const lampi::load::Histogram& a, const lampi::load::Histogram& b) {
    auto pa = a.parts(), pb = b.parts();
    check(pa.buckets == pb.buckets && pa.count == pb.count && pa.min == pb.min && pa.max == pb.max);
    check(close(pa.sum, pb.sum) && close(pa.sum_squares, pb.sum_squares));
}

void check_same(const lampi::load::cluster::WorkerReport& a, const lampi::load::cluster::WorkerReport& b) {
    check(a.worker == b.worker && a.seq == b.seq && a.done == b.done && a.ok == b.ok && a.counters == b.counters);
    check(a.connections == b.connections && a.peak_connections == b.peak_connections && a.users == b.users &&
          a.peak_users == b.peak_users && a.errors == b.errors && a.failures == b.failures);
    check(close(a.elapsed_s, b.elapsed_s) && close(a.memory_per_user_bytes, b.memory_per_user_bytes));
    check_same(a.latency, b.latency);
    check_same(a.connect, b.connect);
    check(a.requests.has_value() == b.requests.has_value());
    if (a.requests) {
        check(a.requests->entries.size() == b.requests->entries.size() && a.requests->failures == b.requests->failures);
        for (auto ia = a.requests->entries.begin(), ib = b.requests->entries.begin(); ia != a.requests->entries.end();
             ++ia, ++ib) {
            check(ia->first == ib->first && ia->second.requests == ib->second.requests &&
                  ia->second.failures == ib->second.failures);
            check_same(ia->second.times, ib->second.times);
        }
    }
    check(a.malaria_clients.size() == b.malaria_clients.size() && a.planned_messages == b.planned_messages);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace lampi::load::cluster;
    std::string text(reinterpret_cast<const char*>(data), size);
    if (auto report = decode_report(text)) {
        auto reopened = decode_report(encode_report(*report));
        check(static_cast<bool>(reopened));
        check_same(*report, *reopened);
    }
    if (auto start = decode_start(text)) {
        auto reopened = decode_start(encode_start(*start));
        check(static_cast<bool>(reopened));
        check(reopened->run == start->run && reopened->shares == start->shares &&
              close(reopened->pause_after_s, start->pause_after_s));
    }
    if (auto steer = decode_steer(text)) {
        auto reopened = decode_steer(encode_steer(*steer));
        check(static_cast<bool>(reopened));
        check(reopened->run == steer->run && reopened->worker == steer->worker && reopened->seq == steer->seq &&
              reopened->users == steer->users && reopened->rate == steer->rate && reopened->numbers == steer->numbers);
    }
    if (auto heartbeat = decode_heartbeat(text)) {
        auto reopened = decode_heartbeat(encode_heartbeat(*heartbeat));
        check(reopened == heartbeat);
    }
    return 0;
}
