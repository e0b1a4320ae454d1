#include "revocations.h"

#include <boost/json.hpp>

#include "lampi/device_id.h"

namespace json = boost::json;

namespace lampi::broker {

Result<Revocation> parse_revocation(std::string_view payload) {
    if (payload.size() > 4096) return Status::error("a revocation is at most 4096 bytes");
    std::error_code ec;
    json::value value = json::parse(payload, ec);
    if (ec || !value.is_object()) return Status::error("a revocation is a JSON object");
    const json::object& o = value.as_object();
    if (o.size() == 1) {
        const json::value* device = o.if_contains("device");
        if (!device || !device->is_string() || !is_valid_device_id(device->as_string()))
            return Status::error("\"device\" must be a device id (12 lowercase hex digits)");
        return Revocation{DeviceRevocation{std::string(device->as_string())}};
    }
    const json::value* user = o.if_contains("user");
    const json::value* before = o.if_contains("issued_before");
    if (o.size() != 2 || !user || !user->is_string() || user->as_string().empty() || !before ||
        !before->is_int64() || before->as_int64() < 0)
        return Status::error("a user revocation is {\"user\": \"<account>\", \"issued_before\": <unix seconds>}");
    return Revocation{UserRevocation{std::string(user->as_string()), before->as_int64()}};
}

void Revocations::apply(const Revocation& revocation) {
    if (const auto* user = std::get_if<UserRevocation>(&revocation)) {
        std::int64_t& cut = users_[user->account];
        cut = std::max(cut, user->issued_before);  // a later message never re-opens an earlier cut
    } else {
        devices_.insert(std::get<DeviceRevocation>(revocation).device_id);
    }
}

bool Revocations::covers(const Identity& who) const {
    if (who.kind == IdentityKind::lamp) return devices_.count(who.name) > 0;
    if (who.kind != IdentityKind::person || who.account.empty()) return false;
    auto it = users_.find(who.account);
    // Whole seconds: a credential issued in the cut-off second may predate it.
    return it != users_.end() && who.issued_at <= it->second;
}

}  // namespace lampi::broker
