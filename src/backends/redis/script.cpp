#include "backends/redis/script.hpp"

#include <openssl/evp.h>

#include "backends/redis/lua_sources.hpp"
#include "nadb/errors.hpp"
#include "obs/log.hpp"
#include "obs/metrics.hpp"

namespace nadb::backends::redis {
namespace {

std::string sha1_hex(const std::string& text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(text.data(), text.size(), digest, &length, EVP_sha1(), nullptr);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < length; ++i) {
    out.push_back(hex[digest[i] >> 4]);
    out.push_back(hex[digest[i] & 15]);
  }
  return out;
}

}  // namespace

Script::Script(const char* body)
    : source_(std::string(lua::common) + body), sha1_(sha1_hex(source_)) {}

Reply Script::run(Dispatcher& dispatcher, std::string_view routing_key, Access access,
                  std::size_t keys, const Command& keys_and_args) const {
  static obs::Histogram& scripts = obs::component_histogram("redis.script");
  obs::Timed timed(scripts);
  auto call = [&](const char* verb, const std::string& script) {
    Command command{verb, script};
    command.arg(static_cast<std::int64_t>(keys));
    command.append(keys_and_args);
    return dispatcher.run(routing_key, command, access);
  };
  Reply reply = call("EVALSHA", sha1_);
  if (is_error(*reply) && error_text(*reply).substr(0, 8) == "NOSCRIPT") {
    obs::logger(obs::Component::Redis).info("script sent in full (NOSCRIPT)", {{"sha1", sha1_}});
    reply = call("EVAL", source_);
  }
  if (is_error(*reply))
    throw_error_reply("(keys " + std::string(routing_key) + ")", "failed a script",
                      error_text(*reply));
  return reply;
}

}  // namespace nadb::backends::redis
