#include "metrics/instruments.h"

#include <fmt/core.h>

#include <cmath>

namespace lampi::cloud::metrics {
namespace {

// Label values may hold anything a route pattern holds; the format escapes \, " and newlines.
std::string escaped(std::string_view value) {
    std::string out;
    out.reserve(value.size());
    for (char c : value) {
        if (c == '\\' || c == '"') out += '\\';
        if (c == '\n') {
            out += "\\n";
            continue;
        }
        out += c;
    }
    return out;
}

std::string number(double value) {
    if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
    return fmt::format("{}", value);
}

void write_labels(std::string& out, const Labels& labels, std::string_view le = {}) {
    if (labels.empty() && le.empty()) return;
    out += '{';
    bool first = true;
    for (const auto& [name, value] : labels) {
        out += fmt::format("{}{}=\"{}\"", first ? "" : ",", name, escaped(value));
        first = false;
    }
    if (!le.empty()) out += fmt::format("{}le=\"{}\"", first ? "" : ",", le);
    out += '}';
}

}  // namespace

void Histogram::observe(std::chrono::nanoseconds elapsed) noexcept {
    const std::int64_t ns = std::max<std::int64_t>(0, elapsed.count());
    std::size_t slot = 0;
    while (slot < kLatencyBoundsNs.size() && ns > kLatencyBoundsNs[slot]) ++slot;
    buckets_[slot].fetch_add(1, std::memory_order_relaxed);
    sum_ns_.fetch_add(static_cast<std::uint64_t>(ns), std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::snapshot() const noexcept {
    Snapshot s;
    for (std::size_t i = 0; i < buckets_.size(); ++i) {
        s.buckets[i] = buckets_[i].load(std::memory_order_relaxed);
        s.count += s.buckets[i];
    }
    s.sum_seconds = static_cast<double>(sum_ns_.load(std::memory_order_relaxed)) / 1e9;
    return s;
}

void write_family(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}

void write_sample(std::string& out, std::string_view name, const Labels& labels, double value) {
    out += name;
    write_labels(out, labels);
    out += fmt::format(" {}\n", number(value));
}

void write_histogram(std::string& out, std::string_view name, const Labels& labels, const Histogram& histogram) {
    Histogram::Snapshot s = histogram.snapshot();
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < s.buckets.size(); ++i) {
        cumulative += s.buckets[i];
        std::string le = i < kLatencyBoundsNs.size() ? number(static_cast<double>(kLatencyBoundsNs[i]) / 1e9) : "+Inf";
        out += fmt::format("{}_bucket", name);
        write_labels(out, labels, le);
        out += fmt::format(" {}\n", cumulative);
    }
    out += fmt::format("{}_sum", name);
    write_labels(out, labels);
    out += fmt::format(" {}\n", number(s.sum_seconds));
    out += fmt::format("{}_count", name);
    write_labels(out, labels);
    out += fmt::format(" {}\n", s.count);
}

}  // namespace lampi::cloud::metrics
