#include "ramp/stop_condition.h"

#include <fmt/core.h>

#include <cctype>
#include <charconv>

namespace lampi::load {
namespace {

constexpr const char* kExample = "e.g. --stop-when 'p95>500ms or fail>1%'";

// A hand-written scanner: the language is four kinds of token, and a person
// reads the error, so each one says where it stopped.
class Scanner {
public:
    explicit Scanner(const std::string& text) : text_(text) {}

    void skip_spaces() {
        while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
    }
    bool at_end() {
        skip_spaces();
        return pos_ >= text_.size();
    }
    // A run of letters, digits and dots, lowercased ("p99.9", "and", "ms").
    std::string word() {
        skip_spaces();
        std::string out;
        while (pos_ < text_.size() &&
               (std::isalnum(static_cast<unsigned char>(text_[pos_])) || text_[pos_] == '.')) {
            out += static_cast<char>(std::tolower(static_cast<unsigned char>(text_[pos_])));
            ++pos_;
        }
        return out;
    }
    // A unit after a number ("ms", "%"), spaces allowed before it; "and"/"or" are no unit.
    std::string unit() {
        std::size_t before = pos_;
        skip_spaces();
        std::string out;
        while (pos_ < text_.size() && (std::isalpha(static_cast<unsigned char>(text_[pos_])) || text_[pos_] == '%')) {
            out += static_cast<char>(std::tolower(static_cast<unsigned char>(text_[pos_])));
            ++pos_;
        }
        if (out == "and" || out == "or") {
            pos_ = before;
            return {};
        }
        return out;
    }
    std::string compare() {
        skip_spaces();
        std::string out;
        while (pos_ < text_.size() && (text_[pos_] == '<' || text_[pos_] == '>' || text_[pos_] == '=')) {
            out += text_[pos_++];
        }
        return out;
    }
    bool number(double& value) {
        skip_spaces();
        const char* begin = text_.data() + pos_;
        const char* end = text_.data() + text_.size();
        auto [ptr, ec] = std::from_chars(begin, end, value, std::chars_format::fixed);
        if (ec != std::errc() || ptr == begin) return false;
        pos_ += static_cast<std::size_t>(ptr - begin);
        return true;
    }
    // What is left, for error messages.
    std::string rest() const { return pos_ < text_.size() ? text_.substr(pos_) : std::string("the end"); }

private:
    const std::string& text_;
    std::size_t pos_ = 0;
};

Status invalid(const std::string& what) { return Status::invalid_argument(fmt::format("{}; {}", what, kExample)); }

}  // namespace

Result<StopCondition> StopCondition::parse(const std::string& text) {
    StopCondition condition;
    condition.text_ = text;
    Scanner in(text);
    if (in.at_end()) return invalid("the condition is empty");
    condition.any_of_.emplace_back();
    while (true) {
        Test test;
        std::string metric = in.word();
        test.label = metric;
        if (metric == "avg") {
            test.metric = Metric::avg;
        } else if (metric == "max") {
            test.metric = Metric::max;
        } else if (metric == "fail") {
            test.metric = Metric::fail;
        } else if (metric.size() > 1 && metric[0] == 'p') {
            double percent = 0;
            auto [ptr, ec] = std::from_chars(metric.data() + 1, metric.data() + metric.size(), percent,
                                             std::chars_format::fixed);
            if (ec != std::errc() || ptr != metric.data() + metric.size() || percent <= 0 || percent >= 100)
                return invalid(fmt::format("'{}' is not a percentile: write p50, p95, p99 or p99.9", metric));
            test.metric = Metric::percentile;
            test.quantile = percent / 100;
        } else {
            return invalid(fmt::format("expected a measure (p95, p99, avg, max or fail) at '{}'", in.rest()));
        }

        std::string op = in.compare();
        if (op == ">") test.compare = Compare::greater;
        else if (op == ">=") test.compare = Compare::greater_equal;
        else if (op == "<") test.compare = Compare::less;
        else if (op == "<=") test.compare = Compare::less_equal;
        else return invalid(fmt::format("expected >, >=, < or <= after '{}' at '{}'", metric, in.rest()));

        if (!in.number(test.threshold) || test.threshold < 0)
            return invalid(fmt::format("expected a number after '{}{}' at '{}'", metric, op, in.rest()));
        std::string unit = in.unit();
        if (test.metric == Metric::fail) {
            if (unit != "%") return invalid("'fail' is the share of operations that failed: give it in %, as fail>1%");
        } else if (unit == "ms") {
        } else if (unit == "s") {
            test.threshold *= 1000;
        } else if (unit == "us") {
            test.threshold /= 1000;
        } else {
            return invalid(fmt::format("'{}{}{}{}' needs a time unit: ms, s or us, as {}{}{}ms", metric, op,
                                       test.threshold, unit, metric, op, test.threshold));
        }
        condition.any_of_.back().push_back(std::move(test));

        if (in.at_end()) break;
        std::string joiner = in.word();
        if (joiner == "or") condition.any_of_.emplace_back();
        else if (joiner != "and")
            return invalid(fmt::format("expected 'and' or 'or' between tests at '{}'", joiner.empty() ? in.rest() : joiner));
        if (in.at_end()) return invalid(fmt::format("a test is missing after '{}'", joiner));
    }
    return condition;
}

bool StopCondition::holds(const StepWindow& window, std::string* why) const {
    auto measure = [&](const Test& t) {
        switch (t.metric) {
            case Metric::percentile: return static_cast<double>(window.latency.percentile(t.quantile)) / 1e6;
            case Metric::avg: return window.latency.mean() / 1e6;
            case Metric::max: return static_cast<double>(window.latency.max()) / 1e6;
            case Metric::fail:
                return window.operations ? 100.0 * static_cast<double>(window.failures) /
                                               static_cast<double>(window.operations)
                                         : 0.0;
        }
        return 0.0;
    };
    auto passes = [](double value, Compare compare, double threshold) {
        switch (compare) {
            case Compare::greater: return value > threshold;
            case Compare::greater_equal: return value >= threshold;
            case Compare::less: return value < threshold;
            case Compare::less_equal: return value <= threshold;
        }
        return false;
    };
    static constexpr const char* kSymbols[] = {">", ">=", "<", "<="};
    for (const auto& all : any_of_) {
        bool every = true;
        std::string reasons;
        for (const Test& t : all) {
            double value = measure(t);
            if (!passes(value, t.compare, t.threshold)) {
                every = false;
                break;
            }
            const char* unit = t.metric == Metric::fail ? "%" : " ms";
            if (!reasons.empty()) reasons += " and ";
            reasons += fmt::format("{} {:.4g}{} {} {:.4g}{}", t.label, value, unit,
                                   kSymbols[static_cast<int>(t.compare)], t.threshold, unit);
        }
        if (every) {
            if (why) *why = reasons;
            return true;
        }
    }
    return false;
}

}  // namespace lampi::load
