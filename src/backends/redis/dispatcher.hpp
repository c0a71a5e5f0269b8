// Dispatcher: where RedisBackend's commands go — one server (ServerDispatcher) or a Redis
// Cluster (cluster::ClusterRouter). Every command names the hash tag its keys share (all of a
// namespace's keys share one, so one namespace is always one slot of a cluster); the
// dispatcher finds the node, follows the cluster when it changes, and, when
// RedisOptions::wait_replicas asks for it, waits for replicas to confirm each write.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "backends/redis/connection.hpp"
#include "nadb/options.hpp"
#include "nadb/stats.hpp"

namespace nadb::backends::redis {

enum class Access {
  // Changes nothing: sent again when the connection broke after sending it.
  Read,
  // Never sent twice unless the server said it did not run it. With wait_replicas > 0, WAIT
  // follows it on the same connection; too few confirmations throw BackendUnavailable.
  Write,
};

class Dispatcher {
 public:
  virtual ~Dispatcher() = default;

  // Runs command, every key of which contains routing_key's hash tag, and returns its reply;
  // error replies other than a cluster's redirections are returned as they are. Throws
  // BackendUnavailable when no node serves it (naming node and slot), when the connection
  // broke after a Write was sent (it may or may not have run), or when replicas did not
  // confirm a Write in time. Thread-safe.
  virtual Reply run(std::string_view routing_key, const Command& command, Access access) = 0;
  // Runs reads whose keys share routing_key's hash tag, in one round trip when no node
  // redirects them. Thread-safe.
  virtual std::vector<Reply> run_reads(std::string_view routing_key,
                                       const std::vector<const Command*>& commands) = 0;
  // Runs a command without keys (TIME) as a read on every master (on one server: on it), in
  // no particular order. Thread-safe.
  virtual std::vector<Reply> run_on_masters(const Command& command) = 0;
  // True for a Redis Cluster: a script can touch one slot only, and keys of different
  // namespaces live on different nodes.
  virtual bool is_cluster() const = 0;
  // The connection pools' figures (summed over a cluster's nodes).
  virtual PoolStats pool_stats() const = 0;
  // The settings every connection shares.
  virtual const RedisOptions& options() const = 0;
};

// `WAIT <wait_replicas> <wait_timeout>`, sent after a Write when wait_replicas > 0.
Command wait_command(const RedisOptions& options);
// Throws BackendUnavailable unless wait_reply (WAIT's reply, after the Write whose reply is
// write_reply) confirms options.wait_replicas replicas. A Write that failed is not checked:
// its error is the caller's.
void check_replicas(const RedisOptions& options, const redisReply& write_reply,
                    const redisReply& wait_reply, std::string_view where);

}  // namespace nadb::backends::redis
