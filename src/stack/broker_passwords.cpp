#include "broker_passwords.h"

#include <fmt/core.h>
#include <openssl/evp.h>
#include <sys/random.h>

#include <cerrno>
#include <cstring>

#include "lampi/base64.h"
#include "lampi/errno_text.h"

namespace lampi::stack {
namespace {

constexpr int kIterations = 101;  // mosquitto_passwd's own choice
constexpr int kSaltBytes = 12;
constexpr int kHashBytes = 64;    // SHA-512

template <std::size_t N>
std::string_view bytes(const unsigned char (&buffer)[N]) {
    return {reinterpret_cast<const char*>(buffer), N};
}

}  // namespace

Result<std::string> mosquitto_password_line(std::string_view username, std::string_view password) {
    if (username.empty() || username.find_first_of(":\n") != std::string_view::npos) {
        return Status::error(fmt::format("\"{}\" cannot be a Mosquitto username", username));
    }
    unsigned char salt[kSaltBytes];
    if (getrandom(salt, sizeof salt, 0) != static_cast<ssize_t>(sizeof salt)) {
        return Status::error(fmt::format("cannot read random bytes for a password salt: {}", errno_text()));
    }
    unsigned char hash[kHashBytes];
    if (PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()), salt, sizeof salt, kIterations,
                          EVP_sha512(), sizeof hash, hash) != 1) {
        return Status::error("PBKDF2 failed while hashing a broker password");
    }
    return fmt::format("{}:$7${}${}${}\n", username, kIterations, base64_encode(bytes(salt)),
                       base64_encode(bytes(hash)));
}

}  // namespace lampi::stack
