#include "backends/redis/dispatcher.hpp"

#include "nadb/errors.hpp"

namespace nadb::backends::redis {

Command wait_command(const RedisOptions& options) {
  Command wait{"WAIT"};
  wait.arg(static_cast<std::int64_t>(options.wait_replicas))
      .arg(static_cast<std::int64_t>(options.wait_timeout.count()));
  return wait;
}

void check_replicas(const RedisOptions& options, const redisReply& write_reply,
                    const redisReply& wait_reply, std::string_view where) {
  if (is_error(write_reply)) return;
  std::int64_t confirmed = integer_of(wait_reply, "WAIT");
  if (confirmed >= options.wait_replicas) return;
  throw BackendUnavailable(
      "redis: " + std::string(where) + ": the write was confirmed by " + std::to_string(confirmed) +
      " of the " + std::to_string(options.wait_replicas) +
      " replicas RedisOptions::wait_replicas asks for within " +
      std::to_string(options.wait_timeout.count()) +
      " ms; it is applied on the master and may or may not survive a failover");
}

}  // namespace nadb::backends::redis
