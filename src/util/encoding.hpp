// Base64 and SHA-256 (OpenSSL libcrypto) for the backup and export formats.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace nadb::util {

std::string base64_encode(std::string_view bytes);
// nullopt when text is not valid base64.
std::optional<std::string> base64_decode(std::string_view text);
// Lowercase hex SHA-256 of bytes.
std::string sha256_hex(std::string_view bytes);

}  // namespace nadb::util
