// Base64 for bytes that travel as text: the standard alphabet with padding
// (RFC 4648 section 4) for the formats of OpenSSL, Mosquitto and our own wire
// messages, and the URL-safe alphabet without padding (section 5) for tokens.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace lampi {

std::string base64_encode(std::string_view bytes);

// The bytes `text` encodes, or nothing unless `text` is exactly what
// base64_encode() makes of them: no whitespace, no padding inside, no stray bits
// in the last character. One text per value, so two texts never stand for the
// same bytes.
std::optional<std::string> base64_decode(std::string_view text);

std::string base64url_encode(std::string_view bytes);

// As base64_decode(), for the URL-safe alphabet without padding.
std::optional<std::string> base64url_decode(std::string_view text);

}  // namespace lampi
