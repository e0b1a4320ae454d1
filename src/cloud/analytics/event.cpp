#include "analytics/event.h"

#include <fmt/core.h>

#include <boost/json/parse.hpp>
#include <boost/json/parse_options.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "accounts/crypto.h"
#include "analytics/calendar.h"

namespace lampi::cloud::analytics {
namespace json = boost::json;
namespace {

constexpr int kMaxDepth = 16;

std::optional<KeenError> check_property_names(const json::object& object, int depth) {
    if (depth > kMaxDepth) return invalid("InvalidEventError", "the event nests objects too deeply");
    for (const auto& kv : object) {
        std::string_view name = kv.key();
        if (name.empty()) return invalid("InvalidPropertyNameError", "a property name is empty");
        if (name.size() > kMaxPropertyName)
            return invalid("InvalidPropertyNameError",
                           fmt::format("property name \"{}...\" is longer than {} characters", name.substr(0, 32),
                                       kMaxPropertyName));
        if (name.find('.') != std::string_view::npos)
            return invalid("InvalidPropertyNameError",
                           fmt::format("property name \"{}\" contains a '.'; nest an object instead", name));
        if (name.front() == '$')
            return invalid("InvalidPropertyNameError", fmt::format("property name \"{}\" starts with '$'", name));
        if (name.find('\0') != std::string_view::npos)
            return invalid("InvalidPropertyNameError", "a property name contains a NUL character");
        if (kv.value().is_object()) {
            if (auto e = check_property_names(kv.value().as_object(), depth + 1)) return e;
        } else if (kv.value().is_array()) {
            for (const json::value& item : kv.value().as_array())
                if (item.is_object())
                    if (auto e = check_property_names(item.as_object(), depth + 1)) return e;
        }
    }
    return std::nullopt;
}

KeenResult<json::value> parse(std::string_view text) {
    json::parse_options options;
    options.max_depth = kMaxDepth + 2;
    boost::system::error_code ec;
    json::value value = json::parse(json::string_view(text.data(), text.size()), ec, {}, options);
    if (ec) return invalid("InvalidJsonError", "the body is not valid JSON: " + ec.message());
    return value;
}

KeenResult<PreparedEvent> prepare(std::string_view collection, json::value& value, std::int64_t now_ms,
                                  const json::object* autofill) {
    if (auto e = check_collection_name(collection)) return *e;
    if (!value.is_object()) return invalid("InvalidEventError", "an event must be a JSON object");
    json::object& event = value.as_object();
    if (autofill)
        for (const auto& kv : *autofill) event[kv.key()] = kv.value();
    json::object keen;
    if (json::value* given = event.if_contains("keen")) {
        if (!given->is_object()) return invalid("InvalidEventError", "the event's \"keen\" property must be an object");
        keen = std::move(given->as_object());
        event.erase("keen");
    }
    if (auto e = check_property_names(event, 0)) return *e;
    std::int64_t timestamp = now_ms;
    if (const json::value* t = keen.if_contains("timestamp")) {
        std::optional<std::int64_t> parsed;
        if (t->is_string()) parsed = parse_iso8601(std::string_view(t->as_string()));
        if (!parsed)
            return invalid("InvalidPropertyValueError",
                           "keen.timestamp must be an ISO-8601 time such as 2026-11-30T03:57:19.000Z");
        timestamp = *parsed;
    }
    keen["timestamp"] = format_iso8601(timestamp);
    keen["created_at"] = format_iso8601(now_ms);
    keen["id"] = accounts::random_token().substr(0, 24);
    event["keen"] = std::move(keen);
    std::string text = json::serialize(event);
    if (text.size() > kMaxEventBytes)
        return invalid("EventTooLargeError",
                       fmt::format("the event takes {} bytes; at most {} are allowed", text.size(), kMaxEventBytes));
    return PreparedEvent{std::string(collection), timestamp, std::move(text)};
}

void append_json_string(std::string& out, std::string_view text) { out += json::serialize(json::string(text)); }

}  // namespace

std::optional<KeenError> check_collection_name(std::string_view name) {
    if (name.empty()) return invalid("InvalidCollectionNameError", "the collection name is empty");
    if (name.size() > kMaxCollectionName)
        return invalid("InvalidCollectionNameError",
                       fmt::format("the collection name is longer than {} characters", kMaxCollectionName));
    if (name.front() == '$')
        return invalid("InvalidCollectionNameError", "the collection name must not start with '$'");
    for (char c : name)
        if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7e)
            return invalid("InvalidCollectionNameError",
                           "the collection name may hold only printable ASCII characters");
    return std::nullopt;
}

KeenResult<PreparedEvent> prepare_event(std::string_view collection, std::string_view text, std::int64_t now_ms,
                                        const json::object* autofill) {
    if (text.size() > kMaxEventBytes + 1024)
        return invalid("EventTooLargeError",
                       fmt::format("the event takes {} bytes; at most {} are allowed", text.size(), kMaxEventBytes));
    auto value = parse(text);
    if (failed(value)) return std::get<KeenError>(value);
    return prepare(collection, std::get<json::value>(value), now_ms, autofill);
}

KeenResult<std::vector<BatchEntry>> prepare_batch(std::string_view text, std::int64_t now_ms,
                                                  const json::object* autofill) {
    auto value = parse(text);
    if (failed(value)) return std::get<KeenError>(value);
    auto& body = std::get<json::value>(value);
    if (!body.is_object())
        return invalid("InvalidEventError", "a batch must be a JSON object: {\"collection\": [event, ...], ...}");
    std::vector<BatchEntry> entries;
    for (auto& kv : body.as_object()) {
        if (!kv.value().is_array())
            return invalid("InvalidEventError",
                           fmt::format("\"{}\" must be a list of events", std::string_view(kv.key()).substr(0, 64)));
        BatchEntry entry{std::string(kv.key()), {}};
        for (json::value& event : kv.value().as_array())
            entry.events.push_back(prepare(entry.collection, event, now_ms, autofill));
        entries.push_back(std::move(entry));
    }
    return entries;
}

void Properties::key(std::string_view name) {
    if (!body_.empty()) body_ += ',';
    append_json_string(body_, name);
    body_ += ':';
}

Properties& Properties::add(std::string_view name, std::string_view value) {
    key(name);
    append_json_string(body_, value);
    return *this;
}

Properties& Properties::add(std::string_view name, std::int64_t value) {
    key(name);
    body_ += std::to_string(value);
    return *this;
}

Properties& Properties::add(std::string_view name, bool value) {
    key(name);
    body_ += value ? "true" : "false";
    return *this;
}

Properties& Properties::add_null(std::string_view name) {
    key(name);
    body_ += "null";
    return *this;
}

Properties& Properties::add_json(std::string_view name, std::string_view text) {
    key(name);
    boost::system::error_code ec;
    json::value value = json::parse(json::string_view(text.data(), text.size()), ec);
    body_ += ec ? std::string("null") : json::serialize(value);
    return *this;
}

}  // namespace lampi::cloud::analytics
