// Fuzzes the plugin's side of the auth API: the first bytes pick a topic and an
// action, the rest is the cloud's answer. Never a crash; a denial never grants;
// whatever is granted is within the rules the answer listed.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "auth_answer.h"
#include "client_registry.h"

namespace {

void check(bool condition) {
    if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace lampi::broker;
    if (size < 2) return 0;
    std::size_t topic_length = data[0] % 32;
    auto action = static_cast<Action>(data[1] % 3);
    if (size < 2 + topic_length) return 0;
    std::string topic(reinterpret_cast<const char*>(data + 2), topic_length);
    std::string_view body(reinterpret_cast<const char*>(data + 2 + topic_length), size - 2 - topic_length);

    auto answer = parse_auth_answer(body);
    if (!answer) return 0;
    if (!answer->allowed) check(!answer->superuser && answer->rules.empty());
    ClientRegistry registry;
    int client = 0;
    registry.grant(&client, Identity{IdentityKind::person, "web-fuzz", "", 0, ""}, {"web-fuzz", "secret"}, *answer,
                   Clock::now());
    bool granted = registry.allowed(&client, action, topic);
    if (!answer->superuser && answer->rules.empty()) check(!granted);
    return 0;
}
