#include "identity.h"

#include <algorithm>

#include "lampi/device_id.h"
#include "lampi/topics.h"

namespace lampi::broker {
namespace {

bool starts_with(std::string_view text, std::string_view prefix) {
    return text.size() >= prefix.size() && text.substr(0, prefix.size()) == prefix;
}

// The prefix Mosquitto gives the ids it assigns (auto_id_prefix's default).
constexpr std::string_view kBrokerAssigned = "auto-";

// `name` itself or `name-<something>`.
bool in_family(std::string_view client_id, std::string_view name) {
    if (client_id == name) return true;
    return client_id.size() > name.size() + 1 && starts_with(client_id, name) && client_id[name.size()] == '-';
}

// The device id of a devices/<id>/<local> topic whose local part is `local`, or "".
std::string_view device_of(std::string_view topic, std::string_view local) {
    std::optional<topics::LampTopic> parsed = topics::parse_lamp_topic(topic);
    if (!parsed || parsed->local != local) return {};
    return parsed->device_id;
}

}  // namespace

std::string_view to_string(IdentityKind kind) {
    switch (kind) {
        case IdentityKind::lamp: return "lamp";
        case IdentityKind::person: return "person";
        case IdentityKind::service: return "service";
        case IdentityKind::operator_account: return "operator";
    }
    return "unknown";
}

std::string client_id_refusal(const Identity& who, std::string_view client_id) {
    switch (who.kind) {
        case IdentityKind::lamp:
            if (client_id == topics::lamp_client_id(who.name)) return "";
            return "a lamp certificate may use only the client id " + topics::lamp_client_id(who.name);
        case IdentityKind::person:
        {
            const std::string& family = who.client_id_family.empty() ? who.name : who.client_id_family;
            if (in_family(client_id, family)) return "";
            return "a web credential may use only the client id " + family + " or " + family + "-…";
        }
        case IdentityKind::service:
            if (client_id == who.name) return "";
            return "the service " + who.name + " may use only the client id " + who.name;
        case IdentityKind::operator_account:
            if (in_family(client_id, who.name) || (starts_with(client_id, kBrokerAssigned) && client_id.size() > 5))
                return "";
            return "an operator may use only the client ids " + who.name + ", " + who.name + "-… or auto-…";
    }
    return "unknown identity";
}

std::optional<std::string> lamp_of_client_id(std::string_view client_id) {
    if (!starts_with(client_id, topics::kLampClientPrefix)) return std::nullopt;
    std::string_view device = client_id.substr(topics::kLampClientPrefix.size());
    if (!is_valid_device_id(device)) return std::nullopt;
    return std::string(device);
}

bool is_known_connection_client(std::string_view client_id) {
    const auto& known = topics::kConnectionClients;
    return std::find(known.begin(), known.end(), client_id) != known.end();
}

bool may_retain(const Identity& who, std::string_view topic) {
    if (who.kind == IdentityKind::service) {
        return is_valid_device_id(device_of(topic, topics::kAssociated));
    }
    if (who.kind != IdentityKind::lamp) return false;
    if (device_of(topic, topics::kChanged) == who.name || device_of(topic, topics::kHealth) == who.name ||
        device_of(topic, topics::kAssociated) == who.name) {
        return !who.name.empty();
    }
    std::optional<topics::LampTopic> parsed = topics::parse_lamp_topic(topic);
    if (!parsed || parsed->device_id != who.name) return false;
    std::optional<std::string_view> client = topics::parse_connection_state(parsed->local);
    return client && is_known_connection_client(*client);
}

std::size_t connection_cap(IdentityKind kind) {
    switch (kind) {
        case IdentityKind::lamp: return 1;        // its bridge; a second is a takeover
        case IdentityKind::person: return 20;     // per account: tabs and devices, each page one
        case IdentityKind::service: return 1;     // its one fixed client id
        case IdentityKind::operator_account: return 16;  // a few consoles and tools
    }
    return 1;
}

}  // namespace lampi::broker
