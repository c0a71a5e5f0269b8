#include "backends/redis/server_dispatcher.hpp"

#include "nadb/errors.hpp"

namespace nadb::backends::redis {
namespace {

// A redirection from a single server: it is a Redis Cluster's node, opened as a server.
const Reply& reject_redirection(const Reply& reply, const Connection& connection) {
  std::string_view error = is_error(*reply) ? error_text(*reply) : std::string_view();
  if (error.substr(0, 6) == "MOVED " || error.substr(0, 4) == "ASK ") {
    throw InvalidArgument("redis at " + connection.address() +
                          " is a Redis Cluster node (it said " + std::string(error) +
                          "): open it with redis+cluster:// or "
                          "RedisOptions::cluster");
  }
  return reply;
}

}  // namespace

template <typename F>
auto ServerDispatcher::with_connection(Access access, F&& fn)
    -> decltype(fn(std::declval<Connection&>())) {
  for (int attempt = 0;; ++attempt) {
    ConnectionPool::Lease lease = pool_.acquire();
    try {
      return fn(*lease);
    } catch (const BackendUnavailable& e) {
      if (!lease->broken()) throw;
      if (access == Access::Write) {
        throw BackendUnavailable(std::string(e.what()) +
                                 " (the connection broke: the write may or may not be applied)");
      }
      if (attempt > 0) throw;
    }
  }
}

Reply ServerDispatcher::run(std::string_view, const Command& command, Access access) {
  if (access == Access::Read || pool_.options().wait_replicas == 0)
    return with_connection(access, [&](Connection& c) {
      Reply reply = c.run(command);
      reject_redirection(reply, c);
      return reply;
    });
  Command wait = wait_command(pool_.options());
  return with_connection(access, [&](Connection& c) {
    std::vector<Reply> replies = c.run_pipeline({&command, &wait});
    reject_redirection(replies[0], c);
    check_replicas(pool_.options(), *replies[0], *replies[1], c.address());
    return std::move(replies[0]);
  });
}

std::vector<Reply> ServerDispatcher::run_reads(std::string_view,
                                               const std::vector<const Command*>& commands) {
  return with_connection(Access::Read, [&](Connection& c) {
    std::vector<Reply> replies = c.run_pipeline(commands);
    for (const Reply& reply : replies)
      reject_redirection(reply, c);
    return replies;
  });
}

std::vector<Reply> ServerDispatcher::run_on_masters(const Command& command) {
  std::vector<Reply> replies;
  replies.push_back(run("", command, Access::Read));
  return replies;
}

}  // namespace nadb::backends::redis
