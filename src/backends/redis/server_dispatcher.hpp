// ServerDispatcher: every command to one Redis server, over one ConnectionPool. A read that
// failed on a connection that broke is tried once more on a fresh one: a restarted server
// kills every pooled connection, and the first use of each should not fail the caller.
#pragma once

#include "backends/redis/connection_pool.hpp"
#include "backends/redis/dispatcher.hpp"

namespace nadb::backends::redis {

class ServerDispatcher final : public Dispatcher {
 public:
  // Throws InvalidArgument for bad pool settings; connects lazily.
  explicit ServerDispatcher(RedisOptions options) : pool_(std::move(options)) {}

  Reply run(std::string_view routing_key, const Command& command, Access access) override;
  std::vector<Reply> run_reads(std::string_view routing_key,
                               const std::vector<const Command*>& commands) override;
  std::vector<Reply> run_on_masters(const Command& command) override;
  bool is_cluster() const override { return false; }
  PoolStats pool_stats() const override { return pool_.stats(); }
  const RedisOptions& options() const override { return pool_.options(); }

 private:
  // fn(connection) on a pooled connection; once more on a fresh one when a Read's broke.
  template <typename F>
  auto with_connection(Access access, F&& fn) -> decltype(fn(std::declval<Connection&>()));

  ConnectionPool pool_;
};

}  // namespace nadb::backends::redis
