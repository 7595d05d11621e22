// Base64 (RFC 4648, standard alphabet) through OpenSSL's libcrypto, which util links already.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace xb {

// Padded base64 of `data`.
std::string base64_encode(std::string_view data);
// The bytes of padded or unpadded base64 text (anything from the first '=' on is padding);
// nullopt when it holds a character outside the alphabet.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace xb
