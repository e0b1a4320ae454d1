#include "admin/lamp_admin.h"

#include <fmt/core.h>

#include "admin/user_admin.h"
#include "lampi/log.h"

namespace lampi::cloud::admin {
namespace {

// "B8:27:EB:74:66:3E" as typed from a label -> "b827eb74663e" (or part of it).
std::string device_id_text(std::string_view typed) {
    std::string out;
    for (char c : typed) {
        if (c == ' ' || c == '-' || c == ':') continue;
        out += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    }
    return out;
}

}  // namespace

Result<std::vector<storage::Lamp>> LampAdmin::find(std::string_view text) {
    return store_.find_lamps(device_id_text(text), kListLimit);
}

Status LampAdmin::give(const storage::User& actor, const std::string& device_id, std::optional<std::int64_t> owner,
                       const char* action, const std::string& detail) {
    auto before = lamps_.change_owner(device_id, owner);
    if (!before) return before.status();
    std::string from = "nobody";
    if (*before) {
        auto previous = store_.user_by_id(**before);
        if (previous && *previous) {
            from = (*previous)->username;
            if (revocations_) revocations_->revoke_user(from);
        }
    }
    std::string what = detail.empty() ? "from " + from : detail + ", from " + from;
    log::info("admin: {} {} {} ({})", actor.username, action, device_id, what);
    if (Status s = audit_.record(AuditEntry{0, clock_(), actor.username, action, "lamp " + device_id, what}); !s)
        log::error("admin: cannot record that {} {} {}: {}", actor.username, action, device_id, s.message());
    return Status::ok();
}

Status LampAdmin::assign(const storage::User& actor, std::string_view device_id, std::string_view username) {
    auto user = store_.user_by_name(std::string(username));
    if (!user) return user.status();
    if (!*user) return Status::not_found(fmt::format("there is no user called \"{}\"", username));
    return give(actor, device_id_text(device_id), (*user)->id, "assigned lamp", "to " + (*user)->username);
}

Status LampAdmin::release(const storage::User& actor, std::string_view device_id) {
    return give(actor, device_id_text(device_id), std::nullopt, "released lamp", "");
}

}  // namespace lampi::cloud::admin
