#include "onboarding.h"

#include <fmt/core.h>
#include <sys/random.h>

#include <fstream>
#include <sstream>

#include "lampi/files.h"
#include "lampi/lamp_codec.h"
#include "lampi/log.h"
#include "lampi/topics.h"

namespace lampi::lampid {

std::string make_association_code() {
    // Rejection sampling keeps every code equally likely.
    constexpr std::uint32_t kCodes = 1'000'000;
    constexpr std::uint32_t kLimit = UINT32_MAX - UINT32_MAX % kCodes;
    std::uint32_t value = kLimit;
    while (value >= kLimit) {
        if (getrandom(&value, sizeof value, 0) != sizeof value) value = kLimit;
    }
    return fmt::format("{:06}", value % kCodes);
}

Onboarding::Onboarding(Publisher& broker, Clock clock, std::string state_file, std::string code_file)
    : broker_(broker), clock_(std::move(clock)), state_file_(std::move(state_file)), code_file_(std::move(code_file)) {}

Status Onboarding::load() {
    std::ifstream in(state_file_);
    if (!in) return Status::ok();  // never claimed
    std::stringstream content;
    content << in.rdbuf();
    auto saved = decode_association(content.str());
    if (!saved) {
        log::warn("{} is unreadable ({}); treating the lamp as unclaimed", state_file_, saved.status().message());
        return Status::ok();
    }
    claimed_ = saved->claimed;
    return Status::ok();
}

Status Onboarding::save() {
    return write_file_atomically(state_file_, encode_association_answer(claimed_), 0644, Durability::file);
}

void Onboarding::show(std::string_view text) {
    if (code_file_.empty()) return;
    if (Status s = write_file_atomically(code_file_, fmt::format("{}\n", text), 0644, Durability::none); !s) {
        log::warn("{}", s.message());
    }
}

void Onboarding::on_connected() {
    if (Status s = broker_.subscribe(topics::kAssociated, kLampQos); !s) log::error("{}", s.message());
    if (claimed_) {
        show("claimed");
    } else {
        offer_new_code();
    }
}

void Onboarding::announce() {
    if (claimed_ || code_.empty() || !broker_.connected()) return;
    auto left = std::chrono::duration_cast<std::chrono::seconds>(renew_at_ + kRenewMargin - clock_.steady());
    if (left.count() <= 0) return;  // tick() offers a new one
    if (Status s = broker_.publish(topics::kAssociated, encode_association_offer(code_, static_cast<int>(left.count())),
                                   kLampQos, true);
        !s) {
        log::error("{}", s.message());
    }
}

void Onboarding::offer_new_code() {
    code_ = make_association_code();
    renew_at_ = clock_.steady() + kCodeLifetime - kRenewMargin;
    show(code_);
    if (!broker_.connected()) return;  // offered again on connection
    auto seconds = static_cast<int>(kCodeLifetime.count());
    if (Status s = broker_.publish(topics::kAssociated, encode_association_offer(code_, seconds), kLampQos, true); !s) {
        log::error("{}", s.message());
        return;
    }
    log::info("unclaimed: offering a one-time code on {} (valid {} s)", topics::kAssociated, seconds);
}

void Onboarding::handle(std::string_view payload) {
    auto association = decode_association(payload);
    if (!association) {
        log::warn("lamp/associated ignored: {}", association.status().message());
        return;
    }
    if (association->code) return;  // our own offer, echoed back
    if (association->claimed == claimed_) return;
    claimed_ = association->claimed;
    if (Status s = save(); !s) log::error("{}", s.message());
    if (claimed_) {
        log::info("claimed by a user in the cloud");
        code_.clear();
        show("claimed");
    } else {
        log::info("released by its owner");
        offer_new_code();
    }
}

void Onboarding::tick() {
    if (!claimed_ && broker_.connected() && clock_.steady() >= renew_at_) offer_new_code();
}

}  // namespace lampi::lampid
