#include "analytics/access_keys.h"

#include <fmt/core.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "analytics/event.h"
#include "analytics/query.h"

namespace lampi::cloud::analytics {
namespace json = boost::json;
namespace {

constexpr std::size_t kMaxNameLength = 256;
constexpr std::size_t kMaxOptionsBytes = 4096;
constexpr const char* kReadOperations[] = {"queries", "saved_queries", "cached_queries", "datasets", "schema"};

KeenError bad_key(std::string message) { return invalid("InvalidAccessKeyError", std::move(message)); }

bool is_read_operation(std::string_view op) {
    for (const char* known : kReadOperations)
        if (op == known) return true;
    return false;
}

// The kind "permitted" asks for: only read operations, or only writes.
KeenResult<KeyKind> permitted_kind(const json::value* permitted) {
    if (!permitted || !permitted->is_array() || permitted->as_array().empty())
        return bad_key(R"(say what the key may do: "permitted": ["queries"] or ["writes"])");
    bool reads = false, writes = false;
    for (const json::value& op : permitted->as_array()) {
        if (!op.is_string()) return bad_key("\"permitted\" must be a list of operation names");
        std::string_view name = op.as_string();
        if (name == "writes") {
            writes = true;
        } else if (is_read_operation(name)) {
            reads = true;
        } else {
            return bad_key(fmt::format(R"("{}" is not an operation this platform has; use "queries" or "writes")",
                                       name.substr(0, 32)));
        }
    }
    if (reads && writes) return bad_key("make one key for queries and another for writes");
    return writes ? KeyKind::write : KeyKind::read;
}

// Keeps only the options that apply to `kind`, checked.
KeenResult<json::object> checked_options(const json::value* given, KeyKind kind) {
    json::object kept;
    if (!given || given->is_null()) return kept;
    if (!given->is_object()) return bad_key("\"options\" must be an object");
    const json::object& options = given->as_object();
    if (options.contains("queries") && kind != KeyKind::read)
        return bad_key("options.queries is for a key permitted \"queries\"");
    if (options.contains("writes") && kind != KeyKind::write)
        return bad_key("options.writes is for a key permitted \"writes\"");
    if (const json::value* queries = options.if_contains("queries"); queries) {
        const json::value* filters = queries->is_object() ? queries->as_object().if_contains("filters") : nullptr;
        if (!queries->is_object()) return bad_key("options.queries must be an object");
        if (filters && !filters->is_null()) {
            if (auto e = check_filters(*filters)) return *e;
            kept["queries"] = json::object{{"filters", *filters}};
        }
    }
    if (const json::value* writes = options.if_contains("writes"); writes) {
        const json::value* autofill = writes->is_object() ? writes->as_object().if_contains("autofill") : nullptr;
        if (!writes->is_object()) return bad_key("options.writes must be an object");
        if (autofill && !autofill->is_null()) {
            if (!autofill->is_object()) return bad_key("options.writes.autofill must be an object of properties");
            if (autofill->as_object().contains("keen"))
                return bad_key("autofill cannot set the \"keen\" object: the platform fills it in");
            // The same rules as an event's own properties.
            auto trial = prepare_event("autofill", "{}", 0, &autofill->as_object());
            if (failed(trial)) return std::get<KeenError>(trial);
            kept["writes"] = json::object{{"autofill", *autofill}};
        }
    }
    if (json::serialize(kept).size() > kMaxOptionsBytes)
        return bad_key(fmt::format("the key's options take more than {} bytes", kMaxOptionsBytes));
    return kept;
}

}  // namespace

KeenResult<AccessKeyDefinition> parse_access_key(std::string_view text) {
    boost::system::error_code ec;
    json::parse_options limits;
    limits.max_depth = 16;
    json::value body = json::parse(json::string_view(text.data(), text.size()), ec, {}, limits);
    if (ec) return invalid("InvalidJsonError", "the body is not valid JSON: " + ec.message());
    if (!body.is_object()) return bad_key(R"(send {"name": ..., "permitted": [...], "options": {...}})");
    const json::object& o = body.as_object();
    const json::value* name = o.if_contains("name");
    if (!name || !name->is_string() || name->as_string().empty() || name->as_string().size() > kMaxNameLength)
        return bad_key(fmt::format("give the key a \"name\" of 1 to {} characters", kMaxNameLength));
    auto kind = permitted_kind(o.if_contains("permitted"));
    if (failed(kind)) return std::get<KeenError>(kind);
    auto options = checked_options(o.if_contains("options"), std::get<KeyKind>(kind));
    if (failed(options)) return std::get<KeenError>(options);
    const json::object& kept = std::get<json::object>(options);
    return AccessKeyDefinition{std::string(name->as_string()), std::get<KeyKind>(kind),
                               kept.empty() ? std::string() : json::serialize(kept)};
}

KeyScope key_scope(const std::string& options) {
    KeyScope scope;
    if (options.empty()) return scope;
    boost::system::error_code ec;
    json::value v = json::parse(options, ec);
    const json::object* o = ec ? nullptr : v.if_object();
    if (!o) {
        // Every stored event has keen.id: this filter matches none.
        scope.query_filters.push_back(
            json::object{{"property_name", "keen.id"}, {"operator", "exists"}, {"property_value", false}});
        return scope;
    }
    if (const json::value* q = o->if_contains("queries"); q && q->is_object())
        if (const json::value* f = q->as_object().if_contains("filters"); f && f->is_array())
            scope.query_filters = f->as_array();
    if (const json::value* w = o->if_contains("writes"); w && w->is_object())
        if (const json::value* a = w->as_object().if_contains("autofill"); a && a->is_object())
            scope.autofill = a->as_object();
    return scope;
}

std::string describe_key(const KeyGrant& grant, const std::string& key_if_new) {
    json::object o;
    if (!key_if_new.empty()) o["key"] = key_if_new;
    o["name"] = grant.name;
    json::array permitted;
    if (grant.kind == KeyKind::write || grant.kind == KeyKind::master) permitted.push_back("writes");
    if (grant.kind == KeyKind::read || grant.kind == KeyKind::master) permitted.push_back("queries");
    o["permitted"] = std::move(permitted);
    boost::system::error_code ec;
    json::value options = grant.options.empty() ? json::value(json::object()) : json::parse(grant.options, ec);
    o["options"] = ec ? json::value(json::object()) : std::move(options);
    o["is_active"] = !grant.revoked;
    return json::serialize(o);
}

}  // namespace lampi::cloud::analytics
