#include "lamps/lamp_service.h"

#include <chrono>
#include <fmt/core.h>

#include "accounts/login_throttle.h"
#include "analytics/event.h"
#include "lampi/device_id.h"
#include "lampi/lamp_codec.h"
#include "lampi/log.h"
#include "lampi/topics.h"
#include "lamps/change_source.h"

namespace lampi::cloud::lamps {
namespace {

constexpr std::size_t kMaxNameLength = 100;
constexpr std::size_t kMaxRoomLength = 60;

Status nothing_to_set() {
    return Status::invalid_argument(R"(nothing to set: give any of "on", "color": {"h", "s"}, "brightness")");
}

std::string trim_spaces(std::string_view text) {
    std::size_t first = text.find_first_not_of(' ');
    if (first == std::string_view::npos) return {};
    return std::string(text.substr(first, text.find_last_not_of(' ') - first + 1));
}

bool has_control_characters(std::string_view text) {
    for (char c : text)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return true;
    return false;
}

// "Lamp 1", "Lamp 2", ...: the first that none of the owner's lamps is called.
std::string default_lamp_name(const std::vector<storage::Lamp>& owned) {
    for (int n = 1;; ++n) {
        std::string name = fmt::format("Lamp {}", n);
        bool taken = false;
        for (const auto& lamp : owned) taken = taken || lamp.name == name;
        if (!taken) return name;
    }
}

// Milliseconds since the Unix epoch: the grain lampid compares sent_at at.
std::int64_t wall_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

}  // namespace

Status LampService::check_room(std::string_view room) {
    if (room.size() > kMaxRoomLength)
        return Status::invalid_argument(fmt::format("a room name has at most {} characters", kMaxRoomLength));
    if (has_control_characters(room)) return Status::invalid_argument("a room name may not contain control characters");
    // A room is named in URLs (/api/v1/rooms/<room>/state): one path segment.
    if (room.find('/') != std::string_view::npos) return Status::invalid_argument("a room name may not contain \"/\"");
    return Status::ok();
}

LampService::LampService(storage::Store& store, Publisher publish, LampServiceOptions options, Clock clock)
    : store_(store),
      publish_(std::move(publish)),
      options_(std::move(options)),
      clock_(clock),
      rates_(store, clock),
      pending_(options_.pending) {}

std::string LampService::normalize_code(std::string_view typed) {
    std::string code;
    for (char c : typed) {
        if (c == ' ' || c == '-' || c == '\t') continue;
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
        if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z'))) return {};
        code.push_back(c);
        if (code.size() > 12) return {};
    }
    return code.size() >= 6 ? code : std::string();
}

void LampService::handle_message(std::string_view topic, std::string_view payload) {
    std::optional<topics::LampTopic> parsed = topics::parse_lamp_topic(topic);
    if (!parsed) {
        log::warn("ignoring a message on {}: not devices/<device id>/<topic>", topic);
        return;
    }
    std::string device_id(parsed->device_id);
    std::string_view local = parsed->local;
    if (local == topics::kChanged) {
        on_changed(device_id, payload);
    } else if (local == topics::kAssociated) {
        on_associated(device_id, payload);
    } else if (local == topics::kHealth) {
        on_health(device_id, payload);
    } else if (std::optional<std::string_view> client = topics::parse_connection_state(local)) {
        on_connection(device_id, *client, payload);
    }
}

void LampService::on_health(const std::string& device_id, std::string_view payload) {
    std::lock_guard lock(mutex_);
    if (payload.empty()) {  // a cleared retained message
        health_.erase(device_id);
        return;
    }
    auto health = decode_health(payload);
    if (!health) {
        log::warn("lamp {}: rejected lamp/health: {}", device_id, health.status().message());
        return;
    }
    if (!health->durable || !health->led) {
        log::warn("lamp {} reports a fault: {} (durable: {}, LED: {})", device_id, health->error, health->durable,
                  health->led);
    }
    health_[device_id] = encode_health(*health);
}

std::optional<std::string> LampService::health_of(std::string_view device_id) {
    std::lock_guard lock(mutex_);
    auto it = health_.find(std::string(device_id));
    if (it == health_.end()) return std::nullopt;
    return it->second;
}

void LampService::on_changed(const std::string& device_id, std::string_view payload) {
    if (payload.empty()) return;  // a cleared retained message
    auto state = decode_changed(payload);
    if (!state) {
        log::warn("lamp {}: rejected lamp/changed: {}", device_id, state.status().message());
        return;
    }
    if (state->changed_at > 0) pending_.confirm(device_id, state->changed_at);
    std::string canonical = encode_changed(*state);
    auto stored = store_.record_state(device_id, canonical, static_cast<std::int64_t>(state->version), clock_());
    if (!stored) log::error("lamp {}: cannot record its state: {}", device_id, stored.status().message());
    if (stored && *stored && options_.events) {
        analytics::Properties p;
        p.add("device_id", device_id);
        add_owner(device_id, p);
        p.add("client", state->client).add("source", change_source(state->client));
        p.add("on", state->on).add_json("state", canonical);
        options_.events->record("lamp_changes", p.json());
    }
}

void LampService::add_owner(const std::string& device_id, analytics::Properties& properties) {
    auto lamp = store_.lamp(device_id);
    if (lamp && *lamp && (*lamp)->owner_id) properties.add("owner_id", *(*lamp)->owner_id);
    else properties.add_null("owner_id");
}

bool LampService::is_online(const std::map<std::string, bool>& clients) {
    auto service = clients.find(std::string(topics::kLampServiceClient));
    auto bridge = clients.find(std::string(topics::kBridgeClient));
    return service != clients.end() && service->second && (bridge == clients.end() || bridge->second);
}

std::size_t LampService::online_count() {
    std::lock_guard lock(mutex_);
    std::size_t online = 0;
    for (const auto& [device_id, clients] : connections_) online += is_online(clients) ? 1 : 0;
    return online;
}

void LampService::on_connection(const std::string& device_id, std::string_view client, std::string_view payload) {
    if (payload != "0" && payload != "1") return;
    if (payload == "1") resend_unconfirmed(device_id);
    bool online;
    {
        std::lock_guard lock(mutex_);
        auto& clients = connections_[device_id];
        clients[std::string(client)] = payload == "1";
        online = is_online(clients);
    }
    if (Status s = store_.record_online(device_id, online, clock_()); !s)
        log::error("lamp {}: cannot record its connection: {}", device_id, s.message());
    if (!options_.events) return;
    {
        std::lock_guard lock(mutex_);
        auto [it, first] = reported_online_.try_emplace(device_id, online);
        if (!first && it->second == online) return;
        it->second = online;
    }
    analytics::Properties p;
    p.add("device_id", device_id).add("online", online).add("reported_by", client);
    add_owner(device_id, p);
    options_.events->record("lamp_connections", p.json());
}

void LampService::on_associated(const std::string& device_id, std::string_view payload) {
    if (payload.empty()) return;
    Result<Association> association = decode_association(payload);
    if (!association) {
        log::warn("lamp {}: rejected lamp/associated: {}", device_id, association.status().message());
        return;
    }
    if (association->claimed) return;  // our own answer coming back
    if (!association->code) return;    // our own {"claimed": false}
    std::string code = normalize_code(*association->code);
    if (code.empty()) {
        log::warn("lamp {}: rejected an association code: use 6 to 12 characters of 0-9 and A-Z", device_id);
        return;
    }
    std::int64_t now = clock_();
    auto lamp = store_.lamp(device_id);
    if (lamp && *lamp && (*lamp)->owner_id) {
        // The lamp asks for an owner but already has one (it missed our answer, or
        // was reset): tell it again. Its owner removes it first to hand it over.
        publish_associated(device_id, true);
        return;
    }
    // A lamp announces a code every 9 minutes or so; a flood only costs it its own codes.
    auto wait = rates_.take(accounts::RateRule{"announce-lamp", options_.announcements_per_lamp, 3600}, device_id);
    if (!wait || *wait > 0) {
        log::warn("lamp {}: association code ignored: {}", device_id,
                  wait ? "more than " + std::to_string(options_.announcements_per_lamp) + " announcements this hour"
                       : wait.status().message());
        return;
    }
    std::int64_t seconds = options_.code_seconds;
    // expires_in may only shorten the lamp's own code (codes are unique, so it
    // can reach no other lamp's).
    if (association->expires_in && *association->expires_in > 0) seconds = std::min(seconds, *association->expires_in);
    auto recorded = store_.record_code(device_id, code, now, now + seconds);
    if (!recorded)
        log::error("lamp {}: cannot record its association code: {}", device_id, recorded.status().message());
    else if (*recorded == storage::Store::CodeOutcome::collision)
        log::warn("lamp {}: association code refused: another lamp shows the same code; it must make a new one",
                  device_id);
    else if (*recorded == storage::Store::CodeOutcome::recorded)
        log::info("lamp {} announced an association code", device_id);
}

void LampService::publish_associated(const std::string& device_id, bool claimed) {
    std::string payload = encode_association_answer(claimed);
    if (Status s = publish_(topics::cloud(device_id, topics::kAssociated), payload, 1, true); !s)
        log::warn("lamp {}: cannot publish lamp/associated: {}", device_id, s.message());
}

void LampService::resend_unconfirmed(const std::string& device_id) {
    std::vector<std::string> commands = pending_.of_lamp(device_id, wall_ms());
    if (commands.empty()) return;
    log::info("lamp {}: sending {} unconfirmed command{} again", device_id, commands.size(),
              commands.size() == 1 ? "" : "s");
    std::string topic = topics::cloud(device_id, topics::kSetConfig);
    for (const std::string& payload : commands) {
        if (Status s = publish_(topic, payload, 1, false); !s) {
            log::warn("lamp {}: cannot send a command again: {}", device_id, s.message());
            return;
        }
    }
}

Result<std::int64_t> LampService::global_wrong_code_limit() {
    auto live = store_.live_code_count(clock_());
    if (!live) return live.status();
    return options_.code_space / (options_.guess_margin * std::max<std::int64_t>(1, *live));
}

Result<std::int64_t> LampService::claim_blocked(std::int64_t user_id, const std::string& address_key) {
    std::int64_t window = options_.claim_window_seconds;
    auto global = global_wrong_code_limit();
    if (!global) return global.status();
    const std::pair<accounts::RateRule, std::string> limits[] = {
        {{"code-user", options_.wrong_codes_per_user, window}, std::to_string(user_id)},
        {{"code-addr", options_.wrong_codes_per_address, window}, address_key},
        {{"code-all", *global, window}, "all"},
    };
    std::int64_t wait = 0;
    for (const auto& [rule, subject] : limits) {
        auto w = rates_.blocked(rule, subject);
        if (!w) return w.status();
        wait = std::max(wait, *w);
    }
    return wait;
}

void LampService::note_claim_failure(std::int64_t user_id, const std::string& address_key) {
    std::int64_t window = options_.claim_window_seconds;
    for (const auto& [scope, subject] : {std::pair<const char*, std::string>{"code-user", std::to_string(user_id)},
                                         {"code-addr", address_key},
                                         {"code-all", "all"}}) {
        if (Status s = rates_.hit(accounts::RateRule{scope, 0, window}, subject); !s)
            log::error("cannot count a wrong association code: {}", s.message());
    }
}

Result<std::string> LampService::claim(std::int64_t user_id, std::string_view typed_code, std::string_view address) {
    std::string address_key = address.empty() ? std::string("-") : accounts::throttle_address_key(address);
    auto blocked = claim_blocked(user_id, address_key);
    if (!blocked) return blocked.status();
    if (*blocked > 0)
        return Status::resource_exhausted(fmt::format("too many wrong codes; try again in {} minute{}",
                                                      (*blocked + 59) / 60, (*blocked + 59) / 60 == 1 ? "" : "s"));
    std::string code = normalize_code(typed_code);
    if (code.empty()) {
        note_claim_failure(user_id, address_key);
        return Status::invalid_argument(
            "that is not an association code: it has 6 to 12 letters and digits, as your lamp shows it");
    }
    auto result = store_.claim(code, user_id, clock_());
    if (!result) return result.status();
    switch (result->outcome) {
        case storage::ClaimOutcome::claimed:
            name_new_lamp(user_id, result->device_id);
            publish_associated(result->device_id, true);
            log::info("lamp {} claimed by user {}", result->device_id, user_id);
            if (options_.events)
                options_.events->record(
                    "lamp_claims",
                    analytics::Properties().add("device_id", result->device_id).add("owner_id", user_id).json());
            return result->device_id;
        case storage::ClaimOutcome::wrong_code:
            note_claim_failure(user_id, address_key);
            return Status::not_found("no lamp shows that code; check the code on your lamp's screen");
        case storage::ClaimOutcome::already_used:
            note_claim_failure(user_id, address_key);
            return Status::failed_precondition("that code was already used; ask the lamp for a new one");
        case storage::ClaimOutcome::expired:
            note_claim_failure(user_id, address_key);
            return Status::expired("that code has expired; ask the lamp for a new one");
        case storage::ClaimOutcome::already_owned:
            return Status::already_exists("that lamp already belongs to someone; its owner must remove it first");
    }
    return Status::internal("unexpected claim outcome");
}

void LampService::name_new_lamp(std::int64_t user_id, const std::string& device_id) {
    auto owned = store_.lamps_of(user_id);
    if (!owned) return log::warn("cannot name lamp {}: {}", device_id, owned.status().message());
    for (const auto& lamp : *owned)
        if (lamp.device_id == device_id && !lamp.name.empty()) return;  // named by an operator already
    auto named = store_.rename_lamp(device_id, user_id, default_lamp_name(*owned));
    if (!named) log::warn("cannot name lamp {}: {}", device_id, named.status().message());
}

Result<storage::Lamp> LampService::owned_lamp(std::int64_t user_id, std::string_view device_id) {
    // One message for "no such lamp" and "not yours", so ids cannot be probed.
    std::string not_found = fmt::format("you have no lamp {}", device_id);
    if (!is_valid_device_id(device_id)) return Status::not_found(not_found);
    auto lamp = store_.lamp(std::string(device_id));
    if (!lamp) return lamp.status();
    if (!*lamp || (*lamp)->owner_id != user_id) return Status::not_found(not_found);
    return **lamp;
}

Status LampService::rename(std::int64_t user_id, std::string_view device_id, std::string_view name) {
    if (name.size() > kMaxNameLength)
        return Status::invalid_argument(fmt::format("a lamp name has at most {} characters", kMaxNameLength));
    if (has_control_characters(name)) return Status::invalid_argument("a lamp name may not contain control characters");
    if (!is_valid_device_id(device_id)) return Status::not_found(fmt::format("you have no lamp {}", device_id));
    auto done = store_.rename_lamp(std::string(device_id), user_id, std::string(name));
    if (!done) return done.status();
    if (!*done) return Status::not_found(fmt::format("you have no lamp {}", device_id));
    return Status::ok();
}

Status LampService::set_room(std::int64_t user_id, std::string_view device_id, std::string_view room) {
    std::string trimmed = trim_spaces(room);
    if (Status s = check_room(trimmed); !s) return s;
    if (!is_valid_device_id(device_id)) return Status::not_found(fmt::format("you have no lamp {}", device_id));
    auto done = store_.set_lamp_room(std::string(device_id), user_id, trimmed);
    if (!done) return done.status();
    if (!*done) return Status::not_found(fmt::format("you have no lamp {}", device_id));
    return Status::ok();
}

Status LampService::remove(std::int64_t user_id, std::string_view device_id) {
    if (!is_valid_device_id(device_id)) return Status::not_found(fmt::format("you have no lamp {}", device_id));
    auto done = store_.release_lamp(std::string(device_id), user_id);
    if (!done) return done.status();
    if (!*done) return Status::not_found(fmt::format("you have no lamp {}", device_id));
    publish_associated(std::string(device_id), false);
    log::info("lamp {} removed by user {}", device_id, user_id);
    if (options_.events)
        options_.events->record("lamp_releases",
                                analytics::Properties().add("device_id", device_id).add("owner_id", user_id).json());
    return Status::ok();
}

Result<std::optional<std::int64_t>> LampService::change_owner(std::string_view device_id,
                                                              std::optional<std::int64_t> owner) {
    std::string id(device_id);
    auto lamp = is_valid_device_id(device_id) ? store_.lamp(id) : Result<std::optional<storage::Lamp>>(std::nullopt);
    if (!lamp) return lamp.status();
    if (!*lamp) return Status::not_found(fmt::format("no lamp {} is known", device_id));
    std::optional<std::int64_t> before = (*lamp)->owner_id;
    if (before == owner)
        return Status::failed_precondition(owner ? fmt::format("lamp {} already belongs to {}", id, (*lamp)->owner_name)
                                                 : fmt::format("lamp {} has no owner", id));
    auto changed = store_.change_lamp_owner(id, before, owner, clock_());
    if (!changed) return changed.status();
    if (!*changed)
        return Status::failed_precondition(fmt::format("lamp {} changed hands meanwhile; look at it again", id));
    if (owner) name_new_lamp(*owner, id);
    publish_associated(id, owner.has_value());
    log::info("lamp {} given to {} by an operator", id, owner ? "user " + std::to_string(*owner) : "nobody");
    return before;
}

Result<std::string> LampService::set_state(std::int64_t user_id, std::string_view device_id, LampUpdate update,
                                           CommandSender sender) {
    auto lamp = owned_lamp(user_id, device_id);
    if (!lamp) return lamp.status();
    return publish_update(device_id, std::move(update), sender);
}

Result<std::vector<std::string>> LampService::set_room_state(std::int64_t user_id, std::optional<std::string_view> room,
                                                             const LampUpdate& update, CommandSender sender) {
    if (update.empty()) return nothing_to_set();
    auto lamps = store_.lamps_of(user_id);
    if (!lamps) return lamps.status();
    std::vector<std::string> sent;
    for (const auto& lamp : *lamps) {
        if (room && lamp.room != *room) continue;
        auto published = publish_update(lamp.device_id, update, sender);
        if (!published) return published.status();
        sent.push_back(lamp.device_id);
    }
    if (sent.empty())
        return Status::not_found(room ? fmt::format("you have no lamp in the room \"{}\"", *room)
                                      : std::string("you have no lamps"));
    return sent;
}

Result<std::string> LampService::publish_update(std::string_view device_id, LampUpdate update, CommandSender sender) {
    if (update.empty()) return nothing_to_set();
    update.client = std::string(sender == CommandSender::schedule ? kScheduleClient : kApiClient);
    // The lamp drops a command older than its last change (src/lampid/README.md),
    // so a command that waited in a queue while the lamp was away cannot undo a
    // newer change made on the lamp. Milliseconds: the lamp compares at that grain.
    update.sent_at = wall_ms();
    std::string payload = encode_set_config(update);
    std::string id(device_id);
    pending_.add(id, *update.sent_at, payload);
    if (Status s = publish_(topics::cloud(device_id, topics::kSetConfig), payload, 1, false); !s) {
        pending_.forget(id, *update.sent_at, payload);
        return Status::unavailable("the lamp cannot be reached right now (" + s.message() + "); try again shortly");
    }
    return payload;
}

}  // namespace lampi::cloud::lamps
