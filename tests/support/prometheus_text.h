// Reads a Prometheus text exposition (format 0.0.4) strictly enough to catch
// what a scraper would refuse: every sample's family announced by "# TYPE"
// before it, metric and label names of the allowed characters, quoted label
// values, a number after each sample, histogram buckets cumulative up to +Inf.
#pragma once

#include <cmath>
#include <limits>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

namespace lampi::testing {

struct PrometheusText {
    // "name{label="value",...}" exactly as written -> its value.
    std::map<std::string, double> samples;
    // family name -> counter, gauge, histogram, ...
    std::map<std::string, std::string> types;
    // What a scraper would refuse; empty when none.
    std::vector<std::string> errors;

    // The value of `series` as written, or NaN when absent.
    double value(const std::string& series) const {
        auto it = samples.find(series);
        return it == samples.end() ? std::nan("") : it->second;
    }
};

inline PrometheusText parse_prometheus_text(const std::string& text) {
    static const std::regex kType(R"(^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$)");
    static const std::regex kSample(
        R"(^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*"(,[a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*")*)?\})? (\S+)$)");
    PrometheusText out;
    std::istringstream lines(text);
    std::string line;
    int number = 0;
    while (std::getline(lines, line)) {
        ++number;
        if (line.empty() || line.rfind("# HELP ", 0) == 0) continue;
        std::smatch m;
        if (std::regex_match(line, m, kType)) {
            out.types[m[1]] = m[2];
            continue;
        }
        if (!std::regex_match(line, m, kSample)) {
            out.errors.push_back("line " + std::to_string(number) + " is not a sample: " + line);
            continue;
        }
        std::string name = m[1];
        std::string family = name;
        for (const char* suffix : {"_bucket", "_sum", "_count"}) {
            std::string s(suffix);
            if (family.size() > s.size() && family.compare(family.size() - s.size(), s.size(), s) == 0 &&
                out.types.count(family.substr(0, family.size() - s.size())))
                family = family.substr(0, family.size() - s.size());
        }
        if (!out.types.count(family))
            out.errors.push_back("line " + std::to_string(number) + ": no # TYPE for " + name);
        const std::string value = m[7];
        char* end = nullptr;
        constexpr double kInf = std::numeric_limits<double>::infinity();
        double parsed = value == "+Inf" ? kInf : value == "-Inf" ? -kInf : std::strtod(value.c_str(), &end);
        if (value != "+Inf" && value != "-Inf" && (end == value.c_str() || *end != '\0'))
            out.errors.push_back("line " + std::to_string(number) + ": not a number: " + value);
        std::string series = line.substr(0, line.size() - value.size() - 1);
        if (out.samples.count(series)) out.errors.push_back("line " + std::to_string(number) + ": repeated " + series);
        out.samples[series] = parsed;
    }
    return out;
}

}  // namespace lampi::testing
