// A server-side Lua script, run by its SHA1 (EVALSHA) and sent in full only when the server
// does not have it yet (NOSCRIPT: after a restart or SCRIPT FLUSH).
#pragma once

#include <string>

#include "backends/redis/dispatcher.hpp"

namespace nadb::backends::redis {

class Script {
 public:
  // The script is common.lua followed by body.
  explicit Script(const char* body);

  // Runs the script through dispatcher with `keys` keys and then args, given as one Command
  // that holds the keys and args only; routing_key is the keys' hash tag. Every script
  // declares as its first key a name no key has (a namespace's prefix): on a cluster, a slot
  // being migrated then never runs it (the node asks for another try; see ClusterRouter).
  // Error replies throw BackendUnavailable (the script's text in the message); the
  // dispatcher's failures throw as it says.
  Reply run(Dispatcher& dispatcher, std::string_view routing_key, Access access, std::size_t keys,
            const Command& keys_and_args) const;

 private:
  std::string source_;
  std::string sha1_;
};

}  // namespace nadb::backends::redis
