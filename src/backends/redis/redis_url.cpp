#include "backends/redis/redis_url.hpp"

#include <charconv>
#include <string>

#include "nadb/errors.hpp"

namespace nadb::backends::redis {
namespace {

[[noreturn]] void bad_url(std::string_view url, const std::string& why) {
  throw InvalidArgument("bad redis URL '" + std::string(url) + "': " + why +
                        " (expected redis[s]://[user:password@]host[:port][/db][?shards=N] or "
                        "redis[s]+cluster://[user:password@]host[:port][,host[:port]...][/0]"
                        "[?shards=N])");
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

// "host[:port]" or "[ipv6]:port" (port 6379 when absent).
std::pair<std::string, int> parse_node(std::string_view url, std::string_view node) {
  int port = 6379;
  if (node.substr(0, 1) == "[") {
    std::size_t close = node.find(']');
    if (close == std::string_view::npos) bad_url(url, "an IPv6 address lacks its ']'");
    std::string_view after = node.substr(close + 1);
    if (!after.empty() && after[0] != ':') bad_url(url, "']' must be followed by ':port'");
    if (!after.empty()) port = parse_number(url, after.substr(1), "port", 65535);
    if (close == 1) bad_url(url, "a node has no host");
    return {std::string(node.substr(1, close - 1)), port};
  }
  if (auto colon = node.rfind(':'); colon != std::string_view::npos) {
    port = parse_number(url, node.substr(colon + 1), "port", 65535);
    node = node.substr(0, colon);
  }
  if (node.empty()) bad_url(url, "a node has no host");
  return {std::string(node), port};
}

}  // namespace

void apply_url(std::string_view url, RedisOptions& options) {
  std::string_view rest = url;
  auto take = [&](std::string_view scheme) {
    if (rest.substr(0, scheme.size()) != scheme) return false;
    rest = rest.substr(scheme.size());
    return true;
  };
  bool tls = take("rediss");
  if (!tls && !take("redis")) bad_url(url, "it must start with redis:// or rediss://");
  bool cluster = take("+cluster");
  if (!take("://")) bad_url(url, "it must start with redis[s]:// or redis[s]+cluster://");
  RedisOptions parsed = options;
  parsed.database = 0;
  parsed.username.clear();
  parsed.password.clear();
  parsed.cluster = cluster;
  parsed.tls = tls;
  parsed.seed_nodes.clear();
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
  if (auto question = rest.find('?'); question != std::string_view::npos) {
    std::string_view query = rest.substr(question + 1);
    rest = rest.substr(0, question);
    if (query.substr(0, 7) != "shards=") bad_url(url, "the only parameter is shards=N");
    parsed.shards = parse_number(url, query.substr(7), "shards", 1024);
  }
  if (auto slash = rest.find('/'); slash != std::string_view::npos) {
    std::string_view db = rest.substr(slash + 1);
    if (!db.empty()) parsed.database = parse_number(url, db, "database", 1 << 20);
    rest = rest.substr(0, slash);
  }
  if (cluster && parsed.database != 0) bad_url(url, "a Redis Cluster has database 0 only");
  if (!cluster && rest.find(',') != std::string_view::npos)
    bad_url(url, "several nodes are a cluster's: use redis+cluster://");
  for (bool first = true; first || !rest.empty(); first = false) {
    std::size_t comma = rest.find(',');
    auto [host, port] = parse_node(url, rest.substr(0, comma));
    if (first) {
      parsed.host = host;
      parsed.port = port;
    } else {
      parsed.seed_nodes.push_back(host + ":" + std::to_string(port));
    }
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    if (comma != std::string_view::npos && rest.empty()) bad_url(url, "a node has no host");
  }
  options = parsed;
}

}  // namespace nadb::backends::redis
