#include "analytics/query.h"

#include <fmt/core.h>

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/parse_options.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <charconv>
#include <cmath>
#include <functional>
#include <limits>
#include <map>
#include <set>

#include "analytics/calendar.h"
#include "analytics/daily_rollup.h"
#include "analytics/group_rollup.h"

namespace lampi::cloud::analytics {
namespace json = boost::json;
namespace {

constexpr std::int64_t kAllTimeFrom = std::numeric_limits<std::int64_t>::min() / 4;
constexpr std::int64_t kAllTimeTo = std::numeric_limits<std::int64_t>::max() / 4;
constexpr std::size_t kMaxBuckets = 10'000;

using Path = std::vector<std::string>;

Path split_path(std::string_view name) { return property_path(name); }

const json::value* lookup(const json::value& event, const Path& path) {
    const json::value* at = &event;
    for (const std::string& part : path) {
        if (!at->is_object()) return nullptr;
        at = at->as_object().if_contains(part);
        if (!at) return nullptr;
    }
    return at;
}

std::optional<double> number(const json::value& v) {
    if (v.is_int64()) return static_cast<double>(v.as_int64());
    if (v.is_uint64()) return static_cast<double>(v.as_uint64());
    if (v.is_double()) return v.as_double();
    return std::nullopt;
}

// A number as Keen shows it: whole numbers without a fraction.
json::value number_value(double d) {
    if (std::isfinite(d) && std::floor(d) == d && std::fabs(d) < 9e15) return static_cast<std::int64_t>(d);
    return d;
}

bool same(const json::value& a, const json::value& b) {
    auto na = number(a), nb = number(b);
    if (na && nb) return *na == *nb;
    return a == b;
}

struct Filter {
    Path path;
    std::string op;
    json::value value;
};

struct Order {
    std::string property;  // "result" or a group_by property
    bool descending = false;
};

// One analysis and its own parameters.
struct Analysis {
    std::string analysis;
    std::string target;
    double percentile = 50;
    std::optional<std::int64_t> latest;
    std::vector<std::string> property_names;
};

// What every analysis of a query shares (multi_analysis runs several over one).
struct Query {
    // One analysis labelled "result", or multi_analysis's labelled analyses.
    std::vector<std::pair<std::string, Analysis>> analyses;
    bool multi = false;
    std::string collection;
    std::int64_t from = kAllTimeFrom;
    std::int64_t to = kAllTimeTo;
    TimeZone zone;
    std::optional<Unit> interval;
    std::vector<std::string> group_by;
    std::vector<Filter> filters;
    std::vector<Order> order_by;
    std::optional<std::int64_t> limit;
};

KeenError bad(std::string message) { return invalid("InvalidQueryError", std::move(message)); }

bool needs_target(std::string_view analysis) { return analysis != "count" && analysis != "extraction"; }

bool known_analysis(std::string_view a) {
    for (std::string_view k : {"count", "count_unique", "sum", "average", "minimum", "maximum", "median", "percentile",
                               "select_unique", "extraction"})
        if (a == k) return true;
    return false;
}

KeenError unknown_analysis(std::string_view analysis) {
    return keen_error("ResourceNotFoundError",
                      Status::not_found(fmt::format(
                          "no analysis \"{}\"; use count, count_unique, sum, average, minimum, maximum, median, "
                          "percentile, select_unique, extraction, funnel or multi_analysis",
                          analysis.substr(0, 32))));
}

std::optional<KeenError> parse_timezone(const json::value& v, Query& q) {
    if (auto n = number(v)) {
        if (std::fabs(*n) > 14 * 3600) return bad("timezone must be an offset of at most 14 hours, in seconds");
        q.zone = TimeZone(static_cast<int>(*n));
        return std::nullopt;
    }
    if (v.is_string()) {
        std::string_view s = v.as_string();
        if (s == "UTC" || s == "Etc/UTC" || s == "GMT" || s == "Z" || s.empty()) return std::nullopt;
        int seconds = 0;
        auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), seconds);
        if (ec == std::errc() && p == s.data() + s.size()) return parse_timezone(json::value(seconds), q);
        if (auto named = TimeZone::named(s)) {
            q.zone = *named;
            return std::nullopt;
        }
        return keen_error("TimezoneError",
                          Status::invalid_argument(fmt::format("timezone \"{}\" is not a time zone this server knows: "
                                                               "give an IANA name (\"US/Pacific\", "
                                                               "\"Europe/Berlin\") or the UTC offset in seconds "
                                                               "(-28800 for UTC-8)",
                                                               s.substr(0, 64))));
    }
    return bad("timezone must be an IANA time zone name or a number of seconds east of UTC");
}

std::optional<KeenError> parse_timeframe(const json::value& v, std::int64_t now, Query& q) {
    if (v.is_object()) {
        const json::object& o = v.as_object();
        const json::value* start = o.if_contains("start");
        const json::value* end = o.if_contains("end");
        std::optional<std::int64_t> s, e;
        if (start && start->is_string()) s = parse_iso8601(std::string_view(start->as_string()));
        if (end && end->is_string()) e = parse_iso8601(std::string_view(end->as_string()));
        if (!s || !e)
            return keen_error("TimeframeDefinitionError",
                              Status::invalid_argument(
                                  R"(an absolute timeframe is {"start": ISO-8601, "end": ISO-8601})"));
        if (*e < *s)
            return keen_error("TimeframeDefinitionError",
                              Status::invalid_argument("the timeframe ends before it starts"));
        q.from = *s;
        q.to = *e;
        return std::nullopt;
    }
    if (!v.is_string())
        return keen_error("TimeframeDefinitionError",
                          Status::invalid_argument(
                              R"(timeframe is a string such as "this_7_days" or {"start", "end"})"));
    std::string_view s = v.as_string();
    if (s == "today") s = "this_1_days";
    if (s == "yesterday") s = "previous_1_days";
    bool is_this = s.rfind("this_", 0) == 0;
    bool is_previous = s.rfind("previous_", 0) == 0;
    std::string_view rest = s.substr(is_this ? 5 : is_previous ? 9 : 0);
    std::size_t underscore = rest.find('_');
    std::int64_t count = 0;
    std::optional<Unit> unit;
    if ((is_this || is_previous) && underscore != std::string_view::npos) {
        auto [p, ec] = std::from_chars(rest.data(), rest.data() + underscore, count);
        if (ec == std::errc() && p == rest.data() + underscore) unit = unit_named(rest.substr(underscore + 1));
    }
    if (!unit || count < 1 || count > 100'000)
        return keen_error("TimeframeDefinitionError",
                          Status::invalid_argument(fmt::format(
                              "timeframe \"{}\" is not this_N_units or previous_N_units (units: minutes, hours, days, "
                              "weeks, months, years)",
                              s.substr(0, 64))));
    if (is_this) {
        q.to = next_start(*unit, now, q.zone);
        q.from = add_units(*unit, floor_to(*unit, now, q.zone), -(count - 1), q.zone);
    } else {
        q.to = floor_to(*unit, now, q.zone);
        q.from = add_units(*unit, q.to, -count, q.zone);
    }
    return std::nullopt;
}

std::optional<KeenError> parse_filters(const json::value& v, Query& q) {
    if (!v.is_array()) return keen_error("FilterDefinitionError", Status::invalid_argument("filters must be a list"));
    for (const json::value& item : v.as_array()) {
        const json::object* o = item.if_object();
        const json::value* name = o ? o->if_contains("property_name") : nullptr;
        const json::value* op = o ? o->if_contains("operator") : nullptr;
        const json::value* value = o ? o->if_contains("property_value") : nullptr;
        if (!name || !name->is_string() || !op || !op->is_string() || !value)
            return keen_error("FilterDefinitionError",
                              Status::invalid_argument(
                                  R"(a filter is {"property_name": ..., "operator": ..., "property_value": ...})"));
        std::string oper(op->as_string());
        static const char* kOperators[] = {"eq",  "ne",     "lt", "lte",      "gt",
                                           "gte", "exists", "in", "contains", "not_contains"};
        if (std::find(std::begin(kOperators), std::end(kOperators), oper) == std::end(kOperators))
            return keen_error(
                "FilterDefinitionError",
                Status::invalid_argument(
                    fmt::format("filter operator \"{}\" is not one of eq, ne, lt, lte, gt, gte, exists, in, contains, "
                                "not_contains",
                                oper.substr(0, 32))));
        if (oper == "in" && !value->is_array())
            return keen_error("FilterDefinitionError", Status::invalid_argument("the \"in\" operator takes a list"));
        if (oper == "exists" && !value->is_bool())
            return keen_error("FilterDefinitionError",
                              Status::invalid_argument("the \"exists\" operator takes true or false"));
        q.filters.push_back({split_path(std::string_view(name->as_string())), oper, *value});
    }
    return std::nullopt;
}

std::optional<KeenError> parse_order(const json::value& v, Query& q) {
    auto one = [&q](const json::value& item) -> bool {
        if (item.is_string()) {
            q.order_by.push_back({std::string(item.as_string()), false});
            return true;
        }
        const json::object* o = item.if_object();
        const json::value* name = o ? o->if_contains("property_name") : nullptr;
        if (!name || !name->is_string()) return false;
        Order order{std::string(name->as_string()), false};
        if (const json::value* d = o->if_contains("direction")) {
            if (!d->is_string()) return false;
            std::string dir(d->as_string());
            std::transform(dir.begin(), dir.end(), dir.begin(), [](unsigned char c) { return std::toupper(c); });
            if (dir != "ASC" && dir != "DESC") return false;
            order.descending = dir == "DESC";
        }
        q.order_by.push_back(std::move(order));
        return true;
    };
    bool ok = true;
    if (v.is_array()) {
        for (const json::value& item : v.as_array()) ok = ok && one(item);
    } else {
        ok = one(v);
    }
    if (!ok)
        return bad(R"(order_by is a property name, {"property_name", "direction": "ASC"|"DESC"} or a list of them)");
    return std::nullopt;
}

std::optional<KeenError> parse_names(const json::value& v, std::vector<std::string>& out, std::string_view what) {
    if (v.is_string()) {
        out.emplace_back(v.as_string());
        return std::nullopt;
    }
    if (v.is_array()) {
        for (const json::value& item : v.as_array()) {
            if (!item.is_string()) return bad(fmt::format("{} must be a property name or a list of them", what));
            out.emplace_back(item.as_string());
        }
        return std::nullopt;
    }
    return bad(fmt::format("{} must be a property name or a list of them", what));
}

std::optional<std::int64_t> whole_number(const json::value& v) {
    if (auto n = number(v); n && std::floor(*n) == *n) return static_cast<std::int64_t>(*n);
    return std::nullopt;
}

// The analysis `type` with its own parameters from `p`.
KeenResult<Analysis> parse_analysis(std::string_view type, const json::object& p) {
    if (!known_analysis(type)) return unknown_analysis(type);
    Analysis a;
    a.analysis = type;
    if (needs_target(type)) {
        const json::value* target = p.if_contains("target_property");
        if (!target || !target->is_string() || target->as_string().empty())
            return keen_error("MissingRequiredPropertyError",
                              Status::invalid_argument(fmt::format("{} needs a target_property", type)));
        a.target = target->as_string();
    }
    if (type == "percentile") {
        const json::value* pct = p.if_contains("percentile");
        auto n = pct ? number(*pct) : std::nullopt;
        if (!n || *n < 0 || *n > 100)
            return keen_error("MissingRequiredPropertyError",
                              Status::invalid_argument("percentile needs \"percentile\": a number from 0 to 100"));
        a.percentile = *n;
    }
    if (const json::value* l = p.if_contains("latest"); l && !l->is_null()) {
        auto n = whole_number(*l);
        if (!n || *n < 1) return bad("latest must be a positive whole number");
        a.latest = n;
    }
    if (const json::value* names = p.if_contains("property_names"); names && !names->is_null())
        if (auto e = parse_names(*names, a.property_names, "property_names")) return *e;
    return a;
}

// multi_analysis's "analyses": {"label": {"analysis_type": ..., "target_property": ...}, ...}.
std::optional<KeenError> parse_analyses(const json::object& p, Query& q) {
    const json::value* analyses = p.if_contains("analyses");
    if (!analyses || !analyses->is_object() || analyses->as_object().empty())
        return keen_error("MissingRequiredPropertyError",
                          Status::invalid_argument("multi_analysis needs \"analyses\": {\"label\": {\"analysis_type\": "
                                                   "\"count\", ...}, ...}"));
    for (const auto& kv : analyses->as_object()) {
        const json::object* spec = kv.value().if_object();
        const json::value* type = spec ? spec->if_contains("analysis_type") : nullptr;
        if (!type || !type->is_string())
            return bad(fmt::format("analysis \"{}\" needs an analysis_type", std::string_view(kv.key()).substr(0, 64)));
        if (type->as_string() == "extraction") return bad("multi_analysis cannot hold an extraction");
        auto a = parse_analysis(std::string_view(type->as_string()), *spec);
        if (failed(a)) return std::get<KeenError>(a);
        q.analyses.emplace_back(std::string(kv.key()), std::get<Analysis>(std::move(a)));
    }
    return std::nullopt;
}

// The parameters every analysis of a query (or a funnel step) shares.
// `scope`: a scoped key's filters, added to the query's own so they always hold.
std::optional<KeenError> parse_shared(const json::object& p, std::int64_t now, const json::array* scope, Query& q) {
    const json::value* collection = p.if_contains("event_collection");
    if (!collection || !collection->is_string() || collection->as_string().empty())
        return keen_error("MissingRequiredPropertyError", Status::invalid_argument("event_collection is required"));
    q.collection = collection->as_string();
    if (const json::value* tz = p.if_contains("timezone"); tz && !tz->is_null())
        if (auto e = parse_timezone(*tz, q)) return *e;
    if (const json::value* tf = p.if_contains("timeframe"); tf && !tf->is_null())
        if (auto e = parse_timeframe(*tf, now, q)) return *e;
    if (const json::value* f = p.if_contains("filters"); f && !f->is_null())
        if (auto e = parse_filters(*f, q)) return *e;
    if (scope)
        if (auto e = parse_filters(*scope, q)) return *e;
    return std::nullopt;
}

KeenResult<Query> parse_query(std::string_view analysis, const json::object& p, std::int64_t now,
                              const json::array* scope) {
    Query q;
    if (analysis == "multi_analysis") {
        q.multi = true;
        if (auto e = parse_analyses(p, q)) return *e;
    } else {
        auto a = parse_analysis(analysis, p);
        if (failed(a)) return std::get<KeenError>(a);
        q.analyses.emplace_back("result", std::get<Analysis>(std::move(a)));
    }
    if (auto e = parse_shared(p, now, scope, q)) return *e;
    if (const json::value* iv = p.if_contains("interval"); iv && !iv->is_null()) {
        if (!iv->is_string() || !(q.interval = interval_named(std::string_view(iv->as_string()))))
            return bad("interval must be minutely, hourly, daily, weekly, monthly or yearly");
        if (q.from == kAllTimeFrom) return bad("an interval needs a timeframe");
    }
    if (const json::value* g = p.if_contains("group_by"); g && !g->is_null())
        if (auto e = parse_names(*g, q.group_by, "group_by")) return *e;
    if (const json::value* o = p.if_contains("order_by"); o && !o->is_null())
        if (auto e = parse_order(*o, q)) return *e;
    if (const json::value* l = p.if_contains("limit"); l && !l->is_null()) {
        auto n = whole_number(*l);
        if (!n || *n < 1) return bad("limit must be a positive whole number");
        q.limit = n;
    }
    if ((!q.order_by.empty() || q.limit) && q.group_by.empty())
        return bad("order_by and limit apply to group_by results; add a group_by");
    if (analysis == "extraction" && (!q.group_by.empty() || q.interval))
        return bad("an extraction takes neither group_by nor interval");
    for (const Order& o : q.order_by) {
        bool labelled =
            std::any_of(q.analyses.begin(), q.analyses.end(), [&o](const auto& a) { return a.first == o.property; });
        if (!labelled && std::find(q.group_by.begin(), q.group_by.end(), o.property) == q.group_by.end())
            return bad(fmt::format("order_by \"{}\" is neither a result nor a group_by property", o.property));
    }
    return q;
}

bool passes(const json::value& event, const Filter& f) {
    const json::value* v = lookup(event, f.path);
    if (v && v->is_null()) v = nullptr;  // null and missing are both absent, as in SQL
    if (f.op == "exists") return (v != nullptr) == f.value.as_bool();
    if (!v) return false;
    if (f.op == "eq") return same(*v, f.value);
    if (f.op == "ne") return !same(*v, f.value);
    if (f.op == "in") {
        for (const json::value& item : f.value.as_array())
            if (same(*v, item)) return true;
        return false;
    }
    if (f.op == "contains" || f.op == "not_contains") {
        bool contains = false;
        if (v->is_string() && f.value.is_string())
            contains = std::string_view(v->as_string()).find(std::string_view(f.value.as_string())) !=
                       std::string_view::npos;
        else if (v->is_array())
            for (const json::value& item : v->as_array()) contains = contains || same(item, f.value);
        else return false;
        return f.op == "contains" ? contains : !contains;
    }
    int order = 0;
    auto a = number(*v), b = number(f.value);
    if (a && b) {
        order = *a < *b ? -1 : *a > *b ? 1 : 0;
    } else if (v->is_string() && f.value.is_string()) {
        int c = std::string_view(v->as_string()).compare(std::string_view(f.value.as_string()));
        order = c < 0 ? -1 : c > 0 ? 1 : 0;
    } else {
        return false;
    }
    if (f.op == "lt") return order < 0;
    if (f.op == "lte") return order <= 0;
    if (f.op == "gt") return order > 0;
    return order >= 0;  // gte
}

// The analysis over one set of events (a group in a bucket, or all of them).
json::value analyse(const Analysis& q, const std::vector<const json::value*>& events) {
    if (q.analysis == "count") return static_cast<std::int64_t>(events.size());
    if (q.analysis == "extraction") {
        json::array out;
        std::size_t first = q.latest && static_cast<std::size_t>(*q.latest) < events.size()
                                ? events.size() - static_cast<std::size_t>(*q.latest)
                                : 0;
        for (std::size_t i = first; i < events.size(); ++i) {
            if (q.property_names.empty()) {
                out.push_back(*events[i]);
                continue;
            }
            json::object picked;
            for (const std::string& name : q.property_names)
                if (const json::value* v = lookup(*events[i], split_path(name))) picked[name] = *v;
            out.push_back(std::move(picked));
        }
        return out;
    }
    Path target = split_path(q.target);
    if (q.analysis == "count_unique" || q.analysis == "select_unique") {
        std::map<std::string, json::value> unique;
        for (const json::value* e : events)
            if (const json::value* v = lookup(*e, target); v && !v->is_null()) unique.emplace(json::serialize(*v), *v);
        if (q.analysis == "count_unique") return static_cast<std::int64_t>(unique.size());
        json::array out;
        for (auto& [key, v] : unique) out.push_back(std::move(v));
        return out;
    }
    std::vector<double> values;
    for (const json::value* e : events)
        if (const json::value* v = lookup(*e, target))
            if (auto n = number(*v)) values.push_back(*n);
    if (q.analysis == "sum") {
        double sum = 0;
        for (double v : values) sum += v;
        return number_value(sum);
    }
    if (values.empty()) return nullptr;
    if (q.analysis == "average") {
        double sum = 0;
        for (double v : values) sum += v;
        return number_value(sum / static_cast<double>(values.size()));
    }
    if (q.analysis == "minimum") return number_value(*std::min_element(values.begin(), values.end()));
    if (q.analysis == "maximum") return number_value(*std::max_element(values.begin(), values.end()));
    // median and percentile: the nearest-rank value (always one of the values).
    std::sort(values.begin(), values.end());
    double pct = q.analysis == "median" ? 50.0 : q.percentile;
    auto rank = static_cast<std::size_t>(std::ceil(pct / 100.0 * static_cast<double>(values.size())));
    return number_value(values[rank == 0 ? 0 : rank - 1]);
}

bool less_json(const json::value& a, const json::value& b) {
    auto na = number(a), nb = number(b);
    if (na && nb) return *na < *nb;
    if (a.is_null() != b.is_null()) return a.is_null();
    return json::serialize(a) < json::serialize(b);
}

// Group rows in q's order_by, cut to its limit.
json::array ordered(const Query& q, std::vector<json::object> rows) {
    if (!q.order_by.empty()) {
        std::stable_sort(rows.begin(), rows.end(), [&q](const json::object& a, const json::object& b) {
            for (const Order& o : q.order_by) {
                const json::value& x = a.at(o.property);
                const json::value& y = b.at(o.property);
                if (less_json(x, y)) return !o.descending;
                if (less_json(y, x)) return o.descending;
            }
            return false;
        });
    }
    if (q.limit && rows.size() > static_cast<std::size_t>(*q.limit)) rows.resize(static_cast<std::size_t>(*q.limit));
    json::array out;
    for (auto& row : rows) out.push_back(std::move(row));
    return out;
}

// Every analysis of `q` over `events`: one value (or {"label": value} for
// multi_analysis), or with group_by one row per group holding the group's
// properties and each analysis's result.
json::value evaluate(const Query& q, const std::vector<const json::value*>& events) {
    auto fill = [&q](json::object& row, const std::vector<const json::value*>& subset) {
        for (const auto& [label, analysis] : q.analyses) row[label] = analyse(analysis, subset);
    };
    if (q.group_by.empty()) {
        if (!q.multi) return analyse(q.analyses.front().second, events);
        json::object all;
        fill(all, events);
        return all;
    }
    std::vector<Path> paths;
    for (const std::string& g : q.group_by) paths.push_back(split_path(g));
    struct Group {
        std::vector<json::value> keys;
        std::vector<const json::value*> events;
    };
    std::map<std::string, Group> groups;
    for (const json::value* e : events) {
        std::vector<json::value> keys;
        std::string id;
        for (const Path& p : paths) {
            const json::value* v = lookup(*e, p);
            keys.push_back(v ? *v : json::value(nullptr));
            id += json::serialize(keys.back());
            id += '\x1f';
        }
        Group& g = groups[id];
        if (g.keys.empty()) g.keys = std::move(keys);
        g.events.push_back(e);
    }
    std::vector<json::object> rows;
    for (auto& [id, g] : groups) {
        json::object row;
        for (std::size_t i = 0; i < q.group_by.size(); ++i) row[q.group_by[i]] = g.keys[i];
        fill(row, g.events);
        rows.push_back(std::move(row));
    }
    return ordered(q, std::move(rows));
}

std::string answer(json::value result) {
    json::object o;
    o["result"] = std::move(result);
    return json::serialize(o);
}

// Keen's interval answer: [{"value": value_of(start, end), "timeframe": {"start", "end"}}, ...]
// for each step of q's interval across its timeframe, oldest first.
KeenResult<json::value> steps(const Query& q,
                              const std::function<KeenResult<json::value>(std::int64_t, std::int64_t)>& value_of) {
    json::array out;
    for (std::int64_t start = q.from; start < q.to;) {
        if (out.size() >= kMaxBuckets)
            return bad(fmt::format("the interval makes more than {} steps; use a longer interval", kMaxBuckets));
        std::int64_t end = std::min(next_start(*q.interval, start, q.zone), q.to);
        auto value = value_of(start, end);
        if (failed(value)) return value;
        json::object step;
        step["value"] = std::get<json::value>(std::move(value));
        step["timeframe"] =
            json::object{{"start", format_iso8601(start, q.zone)}, {"end", format_iso8601(end, q.zone)}};
        out.push_back(std::move(step));
        start = end;
    }
    return json::value(std::move(out));
}

// ---- In the database: the queries an Aggregation can express ----

bool sql_safe(const Path& path) {
    for (const std::string& s : path)
        if (s.find('"') != std::string::npos || s.find('\\') != std::string::npos) return false;
    return true;
}

// A chain of ifs like interval_named (calendar.cpp): words of the request to an enum.
std::optional<Aggregate::Function> sql_function(std::string_view analysis) {
    using F = Aggregate::Function;
    if (analysis == "count") return F::count;
    if (analysis == "count_unique") return F::count_unique;
    if (analysis == "sum") return F::sum;
    if (analysis == "average") return F::average;
    if (analysis == "minimum") return F::minimum;
    if (analysis == "maximum") return F::maximum;
    return std::nullopt;  // median, percentile, select_unique, extraction need the values themselves
}

// One filter value as a Comparison's kind and text; nullopt for null, lists, objects.
std::optional<std::pair<Comparison::Kind, std::string>> sql_operand(const json::value& v) {
    if (auto n = number(v)) return std::pair{Comparison::Kind::number, json::serialize(number_value(*n))};
    if (v.is_string()) return std::pair{Comparison::Kind::string, std::string(v.as_string())};
    if (v.is_bool()) return std::pair{Comparison::Kind::boolean, std::string(v.as_bool() ? "true" : "false")};
    return std::nullopt;
}

std::optional<std::vector<Comparison>> sql_filter(const Filter& f) {
    using Op = Comparison::Op;
    if (!sql_safe(f.path)) return std::nullopt;
    if (f.op == "exists") return std::vector<Comparison>{{f.path, f.value.as_bool() ? Op::exists : Op::absent, {}, {}}};
    if (f.op == "in") {
        std::vector<Comparison> any;
        for (const json::value& item : f.value.as_array()) {
            auto operand = sql_operand(item);
            if (!operand) return std::nullopt;
            any.push_back({f.path, Op::eq, operand->first, operand->second});
        }
        return any;
    }
    static const std::map<std::string, Op> kOps{{"eq", Op::eq},   {"ne", Op::ne}, {"lt", Op::lt},
                                                {"lte", Op::lte}, {"gt", Op::gt}, {"gte", Op::gte}};
    auto op = kOps.find(f.op);
    auto operand = sql_operand(f.value);
    if (op == kOps.end() || !operand) return std::nullopt;  // contains, not_contains: in memory
    if (operand->first == Comparison::Kind::boolean && op->second != Op::eq && op->second != Op::ne)
        return std::nullopt;
    return std::vector<Comparison>{{f.path, op->second, operand->first, operand->second}};
}

// q as an Aggregation over [from, to), or nullopt when the database cannot compute it.
std::optional<Aggregation> to_aggregation(const Query& q, std::int64_t from, std::int64_t to) {
    Aggregation a{q.collection, from, to, {}, {}, {}, 0, 0, std::nullopt};
    for (const auto& [label, analysis] : q.analyses) {
        auto function = sql_function(analysis.analysis);
        Path target = split_path(analysis.target);
        if (!function || !sql_safe(target)) return std::nullopt;
        a.aggregates.push_back({*function, std::move(target)});
    }
    for (const Filter& f : q.filters) {
        auto any = sql_filter(f);
        if (!any) return std::nullopt;
        a.filters.push_back(std::move(*any));
    }
    for (const std::string& g : q.group_by) {
        Path path = split_path(g);
        if (!sql_safe(path)) return std::nullopt;
        a.group_by.push_back(std::move(path));
    }
    return a;
}

json::value sql_value(const Analysis& a, const std::optional<std::string>& text) {
    if (a.analysis == "count" || a.analysis == "count_unique") return text ? storage::as_int(text) : 0;
    if (!text) return a.analysis == "sum" ? json::value(0) : json::value(nullptr);
    return number_value(std::strtod(text->c_str(), nullptr));
}

// The rows of one step (or of everything) in the shapes evaluate() gives.
json::value assemble(const Query& q, const std::vector<const AggregateRow*>& rows) {
    auto fill = [&q](json::object& out, const AggregateRow* row) {
        for (std::size_t i = 0; i < q.analyses.size(); ++i)
            out[q.analyses[i].first] =
                sql_value(q.analyses[i].second, row ? row->values[i] : std::optional<std::string>());
    };
    if (q.group_by.empty()) {
        const AggregateRow* row = rows.empty() ? nullptr : rows.front();
        if (!q.multi) return sql_value(q.analyses.front().second, row ? row->values[0] : std::optional<std::string>());
        json::object all;
        fill(all, row);
        return all;
    }
    std::map<std::string, json::object> groups;  // in the order evaluate() gives them
    for (const AggregateRow* row : rows) {
        json::object out;
        std::string id;
        for (std::size_t i = 0; i < q.group_by.size(); ++i) {
            json::value key = nullptr;
            if (row->groups[i]) {
                boost::system::error_code ec;
                key = json::parse(*row->groups[i], ec);
                if (ec) key = nullptr;
            }
            id += json::serialize(key);
            id += '\x1f';
            out[q.group_by[i]] = std::move(key);
        }
        fill(out, row);
        groups.emplace(std::move(id), std::move(out));
    }
    std::vector<json::object> list;
    list.reserve(groups.size());
    for (auto& [id, row] : groups) list.push_back(std::move(row));
    return ordered(q, std::move(list));
}

// The answer computed by the database, or nullopt when it cannot compute q.
std::optional<KeenResult<json::value>> run_in_database(EventStore& store, const Query& q) {
    auto whole = to_aggregation(q, q.from, q.to);
    if (!whole) return std::nullopt;
    if (!q.interval) {
        auto rows = store.aggregate(*whole);
        if (!rows) return KeenResult<json::value>(keen_error("InternalServerError", rows.status()));
        std::vector<const AggregateRow*> all;
        for (const AggregateRow& r : *rows) all.push_back(&r);
        return KeenResult<json::value>(assemble(q, all));
    }
    // Steps of a fixed length are one statement; months and years one per step.
    std::int64_t width = 0;
    switch (*q.interval) {
        case Unit::minute: width = 60'000; break;
        case Unit::hour: width = 3'600'000; break;
        case Unit::day: width = 86'400'000; break;
        case Unit::week: width = 7 * 86'400'000LL; break;
        default: break;
    }
    std::int64_t origin = floor_to(*q.interval, q.from, q.zone);
    // Days and weeks are of one length only where the zone's offset stays put.
    if (width >= 86'400'000 && !q.zone.fixed_between(origin, q.to)) width = 0;
    std::map<std::int64_t, std::vector<AggregateRow>> by_step;
    if (width > 0) {
        whole->bucket_origin_ms = origin;
        whole->bucket_width_ms = width;
        auto rows = store.aggregate(*whole);
        if (!rows) return KeenResult<json::value>(keen_error("InternalServerError", rows.status()));
        for (const AggregateRow& r : *rows) by_step[r.bucket].push_back(r);
    }
    return steps(q, [&](std::int64_t start, std::int64_t end) -> KeenResult<json::value> {
        std::vector<AggregateRow> own;
        if (width == 0) {
            auto rows = store.aggregate(*to_aggregation(q, start, end));
            if (!rows) return keen_error("InternalServerError", rows.status());
            own = *rows;
        }
        const std::vector<AggregateRow>& step_rows = width > 0 ? by_step[(start - origin) / width] : own;
        std::vector<const AggregateRow*> pointers;
        pointers.reserve(step_rows.size());
        for (const AggregateRow& r : step_rows) pointers.push_back(&r);
        return assemble(q, pointers);
    });
}

// ---- From the daily rollup: counts without filters ----

// Whether q's steps are made of whole UTC days: no interval, or daily to
// yearly in a zone whose offset is 0 throughout.
bool whole_utc_day_steps(const Query& q) {
    if (!q.interval) return true;
    if (*q.interval == Unit::minute || *q.interval == Unit::hour) return false;
    std::int64_t origin = floor_to(*q.interval, q.from, q.zone);
    return q.zone.fixed_between(origin, q.to) && q.zone.offset_at(origin) == 0;
}

// Whether q is a count without filters (a scoped key's included) in whole UTC
// day steps: the daily rollup answers it without a group_by, the group rollup
// with one declared property (when it is ready for q's days: checked apart).
bool plain_daily_count(const Query& q) {
    return !q.multi && q.analyses.front().second.analysis == "count" && q.filters.empty() && whole_utc_day_steps(q);
}

bool rollup_answers(const Query& q) { return plain_daily_count(q) && q.group_by.empty(); }

KeenResult<json::value> count_from_rollup(EventStore& store, const Query& q) {
    auto days = store.daily_counts(q.collection, q.from, q.to);
    if (!days) return keen_error("InternalServerError", days.status());
    // Every step but the first starts at a UTC midnight; the first starts at q.from,
    // whose partial day daily_counts keys by that day's midnight.
    auto events_in = [&days](std::int64_t from, std::int64_t to) {
        std::int64_t n = 0;
        for (auto it = days->lower_bound(utc_day_of(from)); it != days->end() && it->first < to; ++it) n += it->second;
        return n;
    };
    if (!q.interval) return json::value(events_in(q.from, q.to));
    return steps(q, [&](std::int64_t start, std::int64_t end) -> KeenResult<json::value> {
        return json::value(events_in(start, end));
    });
}

// ---- From the group rollup: counts without filters by one declared property ----

// Whether the group rollup of q's one group_by property is complete for every
// whole day of q's timeframe (the partial days at its ends are read from the events).
Result<bool> group_rollup_answers(EventStore& store, const Query& q) {
    if (!plain_daily_count(q) || q.group_by.size() != 1) return false;
    auto ready = store.group_rollup_ready_from(q.collection, q.group_by.front());
    if (!ready) return ready.status();
    std::int64_t first_whole_day = utc_day_of(q.from) == q.from ? q.from : utc_day_of(q.from) + kDayMs;
    return ready->has_value() && **ready <= first_whole_day;
}

KeenResult<json::value> count_groups_from_rollup(EventStore& store, const Query& q) {
    auto days = store.daily_group_counts(q.collection, q.group_by.front(), q.from, q.to);
    if (!days) return keen_error("InternalServerError", days.status());
    // As count_from_rollup: a step's days are keyed from the midnight of its start.
    auto groups_in = [&](std::int64_t from, std::int64_t to) {
        std::map<std::string, std::int64_t> per_value;
        for (auto it = days->lower_bound(utc_day_of(from)); it != days->end() && it->first < to; ++it)
            for (const auto& [value, n] : it->second) per_value[value] += n;
        // The rows the database gives over the events, so the answer has their shape and order.
        std::vector<AggregateRow> rows;
        rows.reserve(per_value.size());
        for (const auto& [value, n] : per_value)
            rows.push_back({0, {value == "null" ? std::optional<std::string>() : value}, {std::to_string(n)}});
        std::vector<const AggregateRow*> pointers;
        pointers.reserve(rows.size());
        for (const AggregateRow& r : rows) pointers.push_back(&r);
        return assemble(q, pointers);
    };
    if (!q.interval) return groups_in(q.from, q.to);
    return steps(q, [&](std::int64_t start, std::int64_t end) -> KeenResult<json::value> {
        return groups_in(start, end);
    });
}

// ---- In memory: everything, over at most kMaxQueryEvents events ----

// The events of q's collection and timeframe that pass its filters, oldest first.
struct Loaded {
    std::vector<json::value> events;
    std::vector<std::int64_t> times;
};

KeenResult<Loaded> load(EventStore& store, const Query& q) {
    auto rows = store.events(q.collection, q.from, q.to, kMaxQueryEvents + 1);
    if (!rows) return keen_error("InternalServerError", rows.status());
    if (static_cast<std::int64_t>(rows->size()) > kMaxQueryEvents)
        return keen_error("QueryTooLargeError",
                          Status::invalid_argument(
                              fmt::format("the query would read more than {} events of \"{}\"; narrow the timeframe",
                                          kMaxQueryEvents, q.collection)));
    Loaded loaded;
    loaded.events.reserve(rows->size());
    for (const StoredEvent& row : *rows) {
        boost::system::error_code ec;
        json::value v = json::parse(row.json, ec);
        if (ec) continue;
        bool keep = true;
        for (const Filter& f : q.filters) keep = keep && passes(v, f);
        if (!keep) continue;
        loaded.events.push_back(std::move(v));
        loaded.times.push_back(row.timestamp_ms);
    }
    return loaded;
}

KeenResult<std::string> run(EventStore& store, const Query& q, QueryEngine engine) {
    if (engine == QueryEngine::best) {
        if (rollup_answers(q)) {
            auto counted = count_from_rollup(store, q);
            if (failed(counted)) return std::get<KeenError>(counted);
            return answer(std::get<json::value>(std::move(counted)));
        }
        auto by_groups = group_rollup_answers(store, q);
        if (!by_groups) return keen_error("InternalServerError", by_groups.status());
        if (*by_groups) {
            auto counted = count_groups_from_rollup(store, q);
            if (failed(counted)) return std::get<KeenError>(counted);
            return answer(std::get<json::value>(std::move(counted)));
        }
    }
    if (engine != QueryEngine::in_memory) {
        if (auto done = run_in_database(store, q)) {
            if (failed(*done)) return std::get<KeenError>(*done);
            return answer(std::get<json::value>(std::move(*done)));
        }
    }
    auto loaded = load(store, q);
    if (failed(loaded)) return std::get<KeenError>(loaded);
    const std::vector<json::value>& parsed = std::get<Loaded>(loaded).events;
    const std::vector<std::int64_t>& times = std::get<Loaded>(loaded).times;
    if (!q.interval) {
        std::vector<const json::value*> all;
        all.reserve(parsed.size());
        for (const json::value& v : parsed) all.push_back(&v);
        return answer(evaluate(q, all));
    }
    std::size_t next = 0;
    auto buckets = steps(q, [&](std::int64_t, std::int64_t end) -> KeenResult<json::value> {
        std::vector<const json::value*> in_bucket;
        while (next < parsed.size() && times[next] < end) in_bucket.push_back(&parsed[next++]);
        return evaluate(q, in_bucket);
    });
    if (failed(buckets)) return std::get<KeenError>(buckets);
    return answer(std::get<json::value>(std::move(buckets)));
}

// A funnel: {"steps": [{"event_collection", "actor_property", "timeframe"?, "filters"?,
// "optional"?, "inverted"?}, ...]}. Step 1 counts its distinct actors; each later
// step counts the actors of the steps before it that also did this step (or, when
// inverted, did not). An optional step is counted but does not narrow the steps
// after it. Each step has its own timeframe, or the query's; order in time
// between steps is not required, as in Keen.
KeenResult<std::string> run_funnel(EventStore& store, const json::object& p, std::int64_t now,
                                   const json::array* scope) {
    const json::value* steps = p.if_contains("steps");
    if (!steps || !steps->is_array() || steps->as_array().empty())
        return keen_error("MissingRequiredPropertyError",
                          Status::invalid_argument("a funnel needs \"steps\": [{\"event_collection\", "
                                                   "\"actor_property\", \"timeframe\"}, ...]"));
    std::optional<std::set<std::string>> actors;  // who is still in the funnel
    json::array counts;
    for (const json::value& item : steps->as_array()) {
        const json::object* step = item.if_object();
        if (!step) return bad("each funnel step must be an object");
        json::object merged = *step;
        for (const char* inherited : {"timeframe", "timezone"})
            if (!merged.contains(inherited) && p.contains(inherited)) merged[inherited] = p.at(inherited);
        Query q;
        if (auto e = parse_shared(merged, now, scope, q)) return *e;
        const json::value* actor = merged.if_contains("actor_property");
        if (!actor || !actor->is_string() || actor->as_string().empty())
            return keen_error("MissingRequiredPropertyError",
                              Status::invalid_argument("each funnel step needs an actor_property"));
        auto flag = [&merged](const char* name) {
            const json::value* v = merged.if_contains(name);
            return v && v->is_bool() && v->as_bool();
        };
        auto loaded = load(store, q);
        if (failed(loaded)) return std::get<KeenError>(loaded);
        Path path = split_path(std::string_view(actor->as_string()));
        std::set<std::string> did;
        for (const json::value& e : std::get<Loaded>(loaded).events)
            if (const json::value* v = lookup(e, path); v && !v->is_null()) did.insert(json::serialize(*v));
        std::set<std::string> next;
        if (!actors) {
            next = std::move(did);
        } else {
            for (const std::string& a : *actors)
                if ((did.count(a) > 0) != flag("inverted")) next.insert(a);
        }
        counts.push_back(static_cast<std::int64_t>(next.size()));
        if (!flag("optional") || !actors) actors = std::move(next);
    }
    json::object o;
    o["result"] = std::move(counts);
    o["steps"] = *steps;
    return json::serialize(o);
}

KeenResult<std::string> run_params(EventStore& store, std::string_view analysis, const json::object& params,
                                   std::int64_t now_ms, QueryEngine engine, const json::array* scope) {
    if (analysis == "funnel") return run_funnel(store, params, now_ms, scope);
    auto q = parse_query(analysis, params, now_ms, scope);
    if (failed(q)) return std::get<KeenError>(q);
    return run(store, std::get<Query>(q), engine);
}

}  // namespace

KeenResult<std::string> run_query(EventStore& store, std::string_view analysis, std::string_view json_body,
                                  std::int64_t now_ms, QueryEngine engine, const json::array* scope) {
    json::parse_options options;
    options.max_depth = 16;
    boost::system::error_code ec;
    json::value body = json::parse(json::string_view(json_body.data(), json_body.size()), ec, {}, options);
    if (ec) return invalid("InvalidJsonError", "the query body is not valid JSON: " + ec.message());
    if (!body.is_object()) return invalid("InvalidJsonError", "the query body must be a JSON object");
    return run_params(store, analysis, body.as_object(), now_ms, engine, scope);
}

KeenResult<std::string> run_query(EventStore& store, std::string_view analysis, const http::Fields& fields,
                                  std::int64_t now_ms, QueryEngine engine, const json::array* scope) {
    json::object params;
    for (const http::Field& f : fields.all()) {
        if (f.name == "api_key" || f.name == "analysis_type") continue;
        std::string_view text = f.value;
        bool structured = !text.empty() && (text.front() == '{' || text.front() == '[');
        bool numeric = f.name == "timezone" || f.name == "percentile" || f.name == "limit" || f.name == "latest";
        if (structured || numeric) {
            json::parse_options options;
            options.max_depth = 16;
            boost::system::error_code ec;
            json::value v = json::parse(json::string_view(text.data(), text.size()), ec, {}, options);
            if (!ec) {
                params[f.name] = std::move(v);
                continue;
            }
            if (structured) return invalid("InvalidJsonError", fmt::format("parameter {} is not valid JSON", f.name));
        }
        params[f.name] = text;
    }
    return run_params(store, analysis, params, now_ms, engine, scope);
}

std::optional<KeenError> check_filters(const json::value& filters) {
    Query unused;
    return parse_filters(filters, unused);
}

}  // namespace lampi::cloud::analytics
