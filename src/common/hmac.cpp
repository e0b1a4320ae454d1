#include "lampi/hmac.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>

namespace lampi {

std::string hmac_sha256(std::string_view key, std::string_view message) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int length = 0;
    HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(message.data()),
         message.size(), digest.data(), &length);
    return {reinterpret_cast<const char*>(digest.data()), length};
}

}  // namespace lampi
