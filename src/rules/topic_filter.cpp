#include "rules/topic_filter.h"

#include <vector>

namespace lampi::rules {
namespace {

// Splits on '/' keeping empty levels ("a//b" has three levels, as in MQTT).
std::vector<std::string_view> levels(std::string_view text) {
    std::vector<std::string_view> out;
    std::size_t start = 0;
    while (true) {
        std::size_t slash = text.find('/', start);
        if (slash == std::string_view::npos) {
            out.push_back(text.substr(start));
            return out;
        }
        out.push_back(text.substr(start, slash - start));
        start = slash + 1;
    }
}

bool has_nul(std::string_view text) { return text.find('\0') != std::string_view::npos; }

}  // namespace

bool is_valid_filter(std::string_view filter) {
    if (filter.empty() || has_nul(filter)) return false;
    auto parts = levels(filter);
    for (std::size_t i = 0; i < parts.size(); ++i) {
        std::string_view level = parts[i];
        if (level.find('#') != std::string_view::npos && (level != "#" || i + 1 != parts.size())) return false;
        if (level.find('+') != std::string_view::npos && level != "+") return false;
    }
    return true;
}

bool is_valid_topic(std::string_view topic) {
    return !topic.empty() && !has_nul(topic) && topic.find_first_of("+#") == std::string_view::npos;
}

bool topic_matches(std::string_view filter, std::string_view topic) {
    if (!is_valid_filter(filter) || !is_valid_topic(topic)) return false;
    auto f = levels(filter);
    auto t = levels(topic);
    if (topic.front() == '$' && (f[0] == "+" || f[0] == "#")) return false;
    for (std::size_t i = 0; i < f.size(); ++i) {
        if (f[i] == "#") return true;  // also matches the parent level ("a/#" matches "a")
        if (i >= t.size()) return false;
        if (f[i] != "+" && f[i] != t[i]) return false;
    }
    return f.size() == t.size();
}

bool filter_covers(std::string_view allowed, std::string_view requested) {
    if (!is_valid_filter(allowed) || !is_valid_filter(requested)) return false;
    auto a = levels(allowed);
    auto r = levels(requested);
    bool requested_dollar = requested.front() == '$';
    bool requested_wild_first = r[0] == "+" || r[0] == "#";
    // A filter whose first level is a wildcard cannot reach $-topics, and one
    // whose first level is literal '$...' is only covered by a literal.
    if (requested_dollar && (a[0] == "+" || a[0] == "#")) return false;
    if (requested_wild_first && a[0] != "#" && a[0] != "+") return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (a[i] == "#") return true;
        if (i >= r.size()) return false;
        if (r[i] == "#") return false;  // requested reaches deeper than `allowed` lets
        if (a[i] == "+") continue;      // any single level, including a requested '+'
        if (r[i] == "+" || r[i] != a[i]) return false;
    }
    return a.size() == r.size();
}

}  // namespace lampi::rules
