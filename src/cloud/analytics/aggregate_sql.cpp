// EventStore::aggregate: an Aggregation as one SQL statement, the same shape on
// both engines; only how a property is read differs (see Reader below). Property
// paths travel as parameters, never inside the SQL text, so any name is safe and
// each shape of query is prepared once per connection.
#include <fmt/core.h>

#include <map>
#include <utility>

#include "analytics/event_store.h"

namespace lampi::cloud::analytics {
namespace {

using storage::Dialect;
using storage::SqlValue;

// Builds one statement: its parameters, and how a property is read as JSON
// text (`repr`), as a number, or as a string, on this engine.
class Reader {
public:
    explicit Reader(Dialect dialect) : dialect_(dialect) {}

    std::string param(std::int64_t value) {
        params_.emplace_back(std::in_place_type<std::int64_t>, value);
        return fmt::format("${}", params_.size());
    }
    std::string param(std::string value) {
        params_.emplace_back(std::in_place_type<std::string>, std::move(value));
        return fmt::format("${}", params_.size());
    }

    // JSON text of the property; NULL when it is absent or null.
    std::string repr(const std::vector<std::string>& path) {
        std::string p = path_param(path);
        if (dialect_ == Dialect::sqlite)
            return fmt::format("(CASE WHEN json_type(body, {0}) <> 'null' THEN body -> {0} END)", p);
        return fmt::format("(CASE WHEN jsonb_typeof(body #> {0}) <> 'null' THEN (body #> {0})::text END)", p);
    }
    std::string number(const std::vector<std::string>& path) {
        std::string p = path_param(path);
        if (dialect_ == Dialect::sqlite)
            return fmt::format(
                "(CASE WHEN json_type(body, {0}) IN ('integer', 'real') THEN json_extract(body, {0}) END)", p);
        return fmt::format("(CASE WHEN jsonb_typeof(body #> {0}) = 'number' THEN (body #>> {0})::float8 END)", p);
    }
    // Compared byte by byte on both engines (PostgreSQL's default collation would not).
    std::string text(const std::vector<std::string>& path) {
        std::string p = path_param(path);
        if (dialect_ == Dialect::sqlite)
            return fmt::format("(CASE WHEN json_type(body, {0}) = 'text' THEN json_extract(body, {0}) END)", p);
        return fmt::format("(CASE WHEN jsonb_typeof(body #> {0}) = 'string' THEN (body #>> {0}) END) COLLATE \"C\"", p);
    }
    std::string number_value(const std::string& text) {
        return fmt::format("CAST({} AS {})", param(text), dialect_ == Dialect::sqlite ? "REAL" : "DOUBLE PRECISION");
    }

    const std::vector<SqlValue>& params() const { return params_; }
    bool reachable(const std::vector<std::string>& path) const {
        for (const std::string& s : path)
            if (s.find('"') != std::string::npos || s.find('\\') != std::string::npos) return false;
        return true;
    }

private:
    // SQLite: $."a"."b"; PostgreSQL: the text[] {"a","b"}. One parameter per distinct path.
    std::string path_param(const std::vector<std::string>& path) {
        auto it = paths_.find(path);
        if (it != paths_.end()) return it->second;
        std::string text = dialect_ == Dialect::sqlite ? "$" : "{";
        for (std::size_t i = 0; i < path.size(); ++i) {
            if (dialect_ == Dialect::sqlite) text += ".\"" + path[i] + "\"";
            else text += (i ? ",\"" : "\"") + path[i] + "\"";
        }
        if (dialect_ == Dialect::postgres) text += "}";
        std::string name = param(text);
        paths_.emplace(path, name);
        return name;
    }

    Dialect dialect_;
    std::vector<SqlValue> params_;
    std::map<std::vector<std::string>, std::string> paths_;
};

std::string comparison_sql(Reader& r, const Comparison& c) {
    using Op = Comparison::Op;
    if (c.op == Op::exists) return r.repr(c.path) + " IS NOT NULL";
    if (c.op == Op::absent) return r.repr(c.path) + " IS NULL";
    std::string left, right;
    switch (c.kind) {
        case Comparison::Kind::number:
            left = r.number(c.path);
            right = r.number_value(c.value);
            break;
        case Comparison::Kind::string:
            left = r.text(c.path);
            right = r.param(c.value);
            break;
        case Comparison::Kind::boolean:
            left = r.repr(c.path);
            right = r.param(c.value);
            break;
    }
    const char* op = "=";
    switch (c.op) {
        case Op::ne:
            return fmt::format("({} IS NOT NULL AND NOT COALESCE({} = {}, FALSE))", r.repr(c.path), left, right);
        case Op::lt: op = "<"; break;
        case Op::lte: op = "<="; break;
        case Op::gt: op = ">"; break;
        case Op::gte: op = ">="; break;
        default: break;
    }
    return fmt::format("{} {} {}", left, op, right);
}

std::string aggregate_sql(Reader& r, const Aggregate& a) {
    switch (a.function) {
        case Aggregate::Function::count: return "COUNT(*)";
        case Aggregate::Function::count_unique: return "COUNT(DISTINCT " + r.repr(a.path) + ")";
        case Aggregate::Function::sum: return "SUM(" + r.number(a.path) + ")";
        case Aggregate::Function::average: return "AVG(" + r.number(a.path) + ")";
        case Aggregate::Function::minimum: return "MIN(" + r.number(a.path) + ")";
        case Aggregate::Function::maximum: return "MAX(" + r.number(a.path) + ")";
    }
    return "COUNT(*)";
}

}  // namespace

Result<std::vector<AggregateRow>> EventStore::aggregate(const Aggregation& a) {
    Reader r(db_.dialect());
    std::string where = fmt::format("collection = {} AND ts_ms >= {} AND ts_ms < {}", r.param(a.collection),
                                    r.param(a.from_ms), r.param(a.to_ms));
    if (a.max_id) where += " AND id <= " + r.param(*a.max_id);
    for (const auto& any_of : a.filters) {
        std::string alternatives;
        for (const Comparison& c : any_of) {
            if (!r.reachable(c.path)) return Status::invalid_argument("a property name holds '\"' or '\\'");
            alternatives += (alternatives.empty() ? "" : " OR ") + comparison_sql(r, c);
        }
        where += " AND (" + (alternatives.empty() ? std::string("FALSE") : alternatives) + ")";
    }
    std::vector<std::string> keys;
    if (a.bucket_width_ms > 0)
        keys.push_back(fmt::format("(ts_ms - {}) / {}", r.param(a.bucket_origin_ms), r.param(a.bucket_width_ms)));
    else keys.emplace_back("0");
    for (const auto& path : a.group_by) {
        if (!r.reachable(path)) return Status::invalid_argument("a property name holds '\"' or '\\'");
        keys.push_back(r.repr(path));
    }
    // The first column is the step (0 without buckets); only real keys are grouped by.
    std::string select, group;
    for (std::size_t i = 0; i < keys.size(); ++i) {
        select += (i ? ", " : "") + keys[i];
        if (i > 0 || a.bucket_width_ms > 0) group += fmt::format("{}{}", group.empty() ? "" : ", ", i + 1);
    }
    for (const Aggregate& agg : a.aggregates) {
        if (!r.reachable(agg.path)) return Status::invalid_argument("a property name holds '\"' or '\\'");
        select += ", " + aggregate_sql(r, agg);
    }
    bool grouped = a.bucket_width_ms > 0 || !a.group_by.empty();
    std::string sql =
        fmt::format("SELECT {} FROM analytics_events WHERE {}{}", select, where, grouped ? " GROUP BY " + group : "");
    auto conn = db_.lease();
    auto rows = conn->query(sql, r.params());
    if (!rows) return rows.status().prefixed("cannot aggregate analytics events: ");
    std::vector<AggregateRow> out;
    out.reserve(rows->size());
    for (auto& row : *rows) {
        AggregateRow o;
        o.bucket = storage::as_int(row[0]);
        for (std::size_t i = 1; i < keys.size(); ++i) o.groups.push_back(row[i]);
        for (std::size_t i = keys.size(); i < row.size(); ++i) o.values.push_back(row[i]);
        out.push_back(std::move(o));
    }
    return out;
}

}  // namespace lampi::cloud::analytics
