#include "pairing_agent.h"

#include <fmt/format.h>

#include <random>

#include "lampi/log.h"

namespace lampi::ble {
namespace {

constexpr const char* kAgent = "org.bluez.Agent1";

sdbus::Error rejected(const std::string& why) { return {kRejected, why}; }

// Prompt ids differ across restarts too, so a stale answer never matches a new prompt.
std::string new_prompt_id(std::uint64_t count) {
    static const std::uint32_t salt = std::random_device{}();
    return fmt::format("{:08x}-{}", salt, count);
}

}  // namespace

std::string device_label(const std::string& device_path) {
    std::size_t dev = device_path.rfind("/dev_");
    std::string address = dev == std::string::npos ? "" : device_path.substr(dev + 5);
    if (address.size() != 17) return "a device";
    return fmt::format("device {}:{}", address.substr(12, 2), address.substr(15, 2));
}

PairingAgent::PairingAgent(sdbus::IConnection& bus, std::string path, std::chrono::milliseconds timeout, Show show)
    : path_(std::move(path)), timeout_(timeout), show_(std::move(show)) {
    object_ = sdbus::createObject(bus, path_);
    object_->registerMethod("Release").onInterface(kAgent).implementedAs([this] {
        log::info("bluetoothd released the pairing agent");
        if (!pending_) return;
        sdbus::Error released = rejected("the agent was released");
        finish(&released, true);
    });
    object_->registerMethod("RequestConfirmation")
        .onInterface(kAgent)
        .implementedAs([this](sdbus::Result<>&& reply, const sdbus::ObjectPath& device, std::uint32_t passkey) {
            request_confirmation(std::move(reply), device, passkey);
        });
    // DisplayYesNo never needs these; refusing them keeps "confirmed on the screen" the only way in.
    object_->registerMethod("RequestPinCode").onInterface(kAgent).implementedAs([](const sdbus::ObjectPath&) {
        throw rejected("the lamp has no keyboard");
        return std::string();
    });
    object_->registerMethod("RequestPasskey").onInterface(kAgent).implementedAs([](const sdbus::ObjectPath&) {
        throw rejected("the lamp has no keyboard");
        return std::uint32_t{0};
    });
    object_->registerMethod("DisplayPinCode")
        .onInterface(kAgent)
        .implementedAs(
            [](const sdbus::ObjectPath&, const std::string&) { throw rejected("PIN pairing is not offered"); });
    object_->registerMethod("DisplayPasskey")
        .onInterface(kAgent)
        .implementedAs([](const sdbus::ObjectPath&, std::uint32_t, std::uint16_t) {});
    object_->registerMethod("RequestAuthorization").onInterface(kAgent).implementedAs([](const sdbus::ObjectPath& d) {
        log::info("refused pairing without a passkey from {}", std::string(d));
        throw rejected("pairing needs a passkey confirmed on the lamp's screen");
    });
    object_->registerMethod("AuthorizeService")
        .onInterface(kAgent)
        .implementedAs(
            [](const sdbus::ObjectPath&, const std::string&) { throw rejected("no services to authorize"); });
    object_->registerMethod("Cancel").onInterface(kAgent).implementedAs([this] {
        if (!pending_) return;
        log::info("bluetoothd cancelled pairing prompt {}", pending_->id);
        sdbus::Error cancelled = rejected("cancelled by bluetoothd");
        finish(&cancelled, true);
    });
    object_->finishRegistration();
}

void PairingAgent::set_screen_present(bool present) {
    if (present == screen_present_) return;
    screen_present_ = present;
    log::info("{}", present ? "the lamp's screen is connected: pairing can be confirmed on it"
                            : "the lamp's screen is not connected: pairing is refused until it is");
}

void PairingAgent::request_confirmation(sdbus::Result<>&& reply, const sdbus::ObjectPath& device,
                                        std::uint32_t passkey) {
    std::string label = device_label(device);
    if (!screen_present_) {
        log::info("refused pairing with {}: the lamp's screen is not connected to confirm it", label);
        reply.returnError(rejected("nobody can confirm the passkey: the lamp's screen is not connected"));
        return;
    }
    if (pending_) {  // bluetoothd asks one at a time; a new request means the old one is over
        log::info("pairing prompt {} replaced by a new request", pending_->id);
        sdbus::Error superseded = rejected("superseded by a new pairing request");
        finish(&superseded, true);
    }
    PairingPrompt prompt;
    prompt.id = new_prompt_id(++prompts_);
    prompt.passkey = passkey;
    prompt.label = label;
    prompt.expires_in = timeout_;
    if (!show_(prompt)) {
        log::warn("refused pairing with {}: cannot show the prompt on the lamp's screen", label);
        reply.returnError(rejected("cannot reach the lamp's screen"));
        return;
    }
    log::info("pairing prompt {} for {} (passkey {}) on the lamp's screen", prompt.id, label, passkey_digits(passkey));
    pending_ = Pending{prompt.id, std::move(reply), Clock::now() + timeout_};
}

void PairingAgent::on_answer(std::string_view payload) {
    Result<PairingAnswer> answer = decode_pairing_answer(payload);
    if (!answer) {
        log::warn("ignored a pairing answer: {}", answer.status().message());
        return;
    }
    if (!pending_ || answer->id != pending_->id) {
        log::info("ignored a pairing answer for prompt {}: not the one showing", answer->id);
        return;
    }
    log::info("the lamp's screen {} pairing prompt {}", answer->allow ? "allowed" : "denied", answer->id);
    if (answer->allow) {
        finish(nullptr, false);
    } else {
        sdbus::Error denied = rejected("denied on the lamp's screen");
        finish(&denied, false);
    }
}

std::optional<PairingAgent::Clock::time_point> PairingAgent::deadline() const {
    if (!pending_) return std::nullopt;
    return pending_->expires;
}

void PairingAgent::on_tick(Clock::time_point now) {
    if (!pending_ || now < pending_->expires) return;
    log::info("pairing prompt {} expired unanswered", pending_->id);
    sdbus::Error expired = rejected("nobody confirmed on the lamp's screen in time");
    finish(&expired, true);
}

void PairingAgent::finish(const sdbus::Error* refusal, bool withdraw) {
    Pending done = std::move(*pending_);
    pending_.reset();
    if (withdraw) {
        PairingPrompt withdrawal;
        withdrawal.id = done.id;
        withdrawal.withdrawn = true;
        show_(withdrawal);
    }
    if (refusal) done.reply.returnError(*refusal);
    else done.reply.returnResults();
}

}  // namespace lampi::ble
