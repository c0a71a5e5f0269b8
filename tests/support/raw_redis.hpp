// RawRedis: a plain connection to a test's redis-server, to look at (or damage) the keys the
// backend keeps there.
#pragma once

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "backends/redis/connection.hpp"

namespace nadb::testing {

class RawRedis {
 public:
  explicit RawRedis(int port) {
    RedisOptions o;
    o.port = port;
    connection_ = std::make_unique<backends::redis::Connection>(o);
  }
  backends::redis::Reply run(std::initializer_list<std::string_view> args) {
    backends::redis::Command command;
    for (std::string_view a : args)
      command.arg(a);
    return connection_->run(command);
  }
  backends::redis::Reply run(const backends::redis::Command& command) {
    return connection_->run(command);
  }
  // The members of a set, sorted.
  std::vector<std::string> members(const std::string& set) {
    backends::redis::Reply reply = run({"SMEMBERS", set});
    std::vector<std::string> out;
    for (std::size_t i = 0; i < reply->elements; ++i)
      out.emplace_back(reply->element[i]->str, reply->element[i]->len);
    std::sort(out.begin(), out.end());
    return out;
  }
  // Every key matching a SCAN pattern, sorted.
  std::vector<std::string> keys_matching(const std::string& pattern) {
    std::vector<std::string> out;
    std::string cursor = "0";
    do {
      backends::redis::Reply reply = run({"SCAN", cursor, "MATCH", pattern, "COUNT", "1000"});
      cursor = reply->element[0]->str;
      for (std::size_t i = 0; i < reply->element[1]->elements; ++i)
        out.emplace_back(reply->element[1]->element[i]->str, reply->element[1]->element[i]->len);
    } while (cursor != "0");
    std::sort(out.begin(), out.end());
    return out;
  }

 private:
  std::unique_ptr<backends::redis::Connection> connection_;
};

}  // namespace nadb::testing
