// Fuzzes what a CONNECT hands the plugin before anyone is trusted: the signed
// web credential (username and token) and, from the control service, a
// revocation. Never a crash; nothing unsigned verifies; whatever verifies
// carries well-formed claims and signs back to a token that verifies the same.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "lampi/device_id.h"
#include "revocations.h"
#include "rules/broker_credential.h"

namespace {

constexpr std::string_view kSecret = "fuzz-secret";
constexpr std::int64_t kNow = 1'800'000'000;

void check(bool condition) {
    if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace lampi;
    std::string_view input(reinterpret_cast<const char*>(data), size);
    (void)broker::parse_revocation(input);

    // "<username>\n<token>": the fuzzer also mutates the seeds' valid tokens.
    std::size_t newline = input.find('\n');
    std::string_view username = newline == std::string_view::npos ? std::string_view("web-fuzz") : input.substr(0, newline);
    std::string_view token = newline == std::string_view::npos ? input : input.substr(newline + 1);
    auto claims = rules::verify_broker_credential(username, token, kSecret, kNow);
    if (!claims) return 0;
    check(claims->username == username);
    check(claims->expires_at > kNow && claims->issued_at - 60 <= kNow);
    for (const std::string& device : claims->devices) check(is_valid_device_id(device));
    auto again = rules::sign_broker_credential(*claims, kSecret);
    check(again.is_ok());
    check(rules::verify_broker_credential(username, *again, kSecret, kNow).is_ok());
    check(!rules::verify_broker_credential(username, token, "another-secret", kNow).is_ok());
    return 0;
}
