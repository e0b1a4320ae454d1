#include "lampi/pairing_codec.h"

#include <fmt/core.h>

#include <boost/json/serialize.hpp>

#include "lampi/json_object.h"

namespace lampi {
namespace {

namespace json = boost::json;

constexpr std::size_t kLongestField = 64;  // ids and labels are short; anything longer is not ours

Result<std::string> short_string(const json::object& o, std::string_view key, std::string_view what) {
    const json::value* v = o.if_contains(key);
    if (!v || !v->is_string() || v->as_string().empty() || v->as_string().size() > kLongestField)
        return Status::invalid_argument(fmt::format("{}: \"{}\" must be a short non-empty string", what, key));
    return std::string(v->as_string());
}

}  // namespace

std::string passkey_digits(std::uint32_t passkey) { return fmt::format("{:06}", passkey % 1'000'000); }

std::string encode_pairing_prompt(const PairingPrompt& prompt) {
    json::object o;
    o["id"] = prompt.id;
    if (prompt.withdrawn) {
        o["withdrawn"] = true;
    } else {
        o["passkey"] = passkey_digits(prompt.passkey);
        o["label"] = prompt.label;
        o["expires_in_ms"] = prompt.expires_in.count();
    }
    return json::serialize(o);
}

Result<PairingPrompt> decode_pairing_prompt(std::string_view payload) {
    constexpr std::string_view kWhat = "pairing prompt";
    Result<json::object> o = parse_json_object(payload, kWhat);
    if (!o) return o.status();
    PairingPrompt prompt;
    Result<std::string> id = short_string(*o, "id", kWhat);
    if (!id) return id.status();
    prompt.id = *id;
    if (const json::value* w = o->if_contains("withdrawn"); w && w->is_bool() && w->as_bool()) {
        prompt.withdrawn = true;
        return prompt;
    }
    Result<std::string> digits = short_string(*o, "passkey", kWhat);
    if (!digits) return digits.status();
    if (digits->size() != 6 || digits->find_first_not_of("0123456789") != std::string::npos)
        return Status::invalid_argument("pairing prompt: \"passkey\" must be six digits");
    prompt.passkey = static_cast<std::uint32_t>(std::stoul(*digits));
    Result<std::string> label = short_string(*o, "label", kWhat);
    if (!label) return label.status();
    prompt.label = *label;
    const json::value* expiry = o->if_contains("expires_in_ms");
    if (!expiry || !expiry->is_int64() || expiry->as_int64() <= 0 || expiry->as_int64() > 600'000)
        return Status::invalid_argument("pairing prompt: \"expires_in_ms\" must be 1..600000");
    prompt.expires_in = std::chrono::milliseconds(expiry->as_int64());
    return prompt;
}

std::string encode_pairing_answer(const PairingAnswer& answer) {
    json::object o;
    o["id"] = answer.id;
    o["answer"] = answer.allow ? "allow" : "deny";
    return json::serialize(o);
}

Result<PairingAnswer> decode_pairing_answer(std::string_view payload) {
    constexpr std::string_view kWhat = "pairing answer";
    Result<json::object> o = parse_json_object(payload, kWhat);
    if (!o) return o.status();
    Result<std::string> id = short_string(*o, "id", kWhat);
    if (!id) return id.status();
    const json::value* a = o->if_contains("answer");
    if (!a || !a->is_string() || (a->as_string() != "allow" && a->as_string() != "deny"))
        return Status::invalid_argument(R"(pairing answer: "answer" must be "allow" or "deny")");
    return PairingAnswer{*id, a->as_string() == "allow"};
}

}  // namespace lampi
