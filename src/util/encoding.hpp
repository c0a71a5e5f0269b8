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

// SHA-256 of bytes given in pieces (no concatenated copy of them).
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  Sha256& update(std::string_view bytes);
  // Lowercase hex of everything given so far (call once).
  std::string hex();

 private:
  struct Context;
  Context* context_;
};

}  // namespace nadb::util
