#include "backends/redis/redis_url.hpp"

#include <charconv>
#include <string>

#include "nadb/errors.hpp"

namespace nadb::backends::redis {
namespace {

[[noreturn]] void bad_url(std::string_view url, const std::string& why) {
  throw InvalidArgument("bad redis URL '" + std::string(url) + "': " + why +
                        " (expected redis://[user:password@]host[:port][/db])");
}

int parse_number(std::string_view url, std::string_view text, const char* what, int max) {
  int value = -1;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value < 0 ||
      value > max) {
    bad_url(url, std::string(what) + " '" + std::string(text) + "' is not a number in 0-" +
                     std::to_string(max));
  }
  return value;
}

}  // namespace

void apply_url(std::string_view url, RedisOptions& options) {
  constexpr std::string_view kScheme = "redis://";
  if (url.substr(0, kScheme.size()) != kScheme) bad_url(url, "it must start with redis://");
  std::string_view rest = url.substr(kScheme.size());
  RedisOptions parsed = options;
  parsed.database = 0;
  parsed.port = 6379;
  parsed.username.clear();
  parsed.password.clear();
  if (auto at = rest.rfind('@'); at != std::string_view::npos) {
    std::string_view credentials = rest.substr(0, at);
    rest = rest.substr(at + 1);
    auto colon = credentials.find(':');
    if (colon == std::string_view::npos) {
      parsed.password = credentials;  // redis://password@host, as redis-cli accepts
    } else {
      parsed.username = credentials.substr(0, colon);
      parsed.password = credentials.substr(colon + 1);
    }
  }
  if (auto slash = rest.find('/'); slash != std::string_view::npos) {
    std::string_view db = rest.substr(slash + 1);
    if (!db.empty()) parsed.database = parse_number(url, db, "database", 1 << 20);
    rest = rest.substr(0, slash);
  }
  if (auto colon = rest.rfind(':'); colon != std::string_view::npos) {
    parsed.port = parse_number(url, rest.substr(colon + 1), "port", 65535);
    rest = rest.substr(0, colon);
  }
  if (rest.empty()) bad_url(url, "no host");
  parsed.host = rest;
  options = parsed;
}

}  // namespace nadb::backends::redis
