// A server-side Lua script, run by its SHA1 (EVALSHA) and sent in full only when the server
// does not have it yet (NOSCRIPT: after a restart or SCRIPT FLUSH).
#pragma once

#include <string>

#include "backends/redis/connection.hpp"

namespace nadb::backends::redis {

class Script {
 public:
  // The script is common.lua followed by body.
  explicit Script(const char* body);

  // Runs the script with `keys` keys and then args, given as one Command that holds the keys
  // and args only. Error replies throw BackendUnavailable (the script's text in the message);
  // I/O errors throw BackendUnavailable from the connection.
  Reply run(Connection& connection, std::size_t keys, const Command& keys_and_args) const;

 private:
  std::string source_;
  std::string sha1_;
};

}  // namespace nadb::backends::redis
