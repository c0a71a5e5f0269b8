// ClusterRouter: sends each command to the master of its hash slot, over one ConnectionPool per
// node, and follows the cluster when it changes: MOVED (the slot has a new master: the map
// learns it, the command goes there), ASK (the slot is migrating: ASKING and the command go to
// the target, the map unchanged), TRYAGAIN and CLUSTERDOWN (the cluster is busy or
// reconfiguring), and a node that cannot be reached (its replica may be taking over). Each of
// those refreshes the map from any reachable node and retries, with backoff, until the
// socket timeout has passed; then BackendUnavailable names the node and the slot.
//
// Why a retry never runs a write twice: every redirection and TRYAGAIN/CLUSTERDOWN reply says
// the node did not run the command, and a node that cannot be reached is retried only when
// connecting to it failed (nothing was sent). A write whose connection was lost after it was
// sent is not retried: it may have run, and BackendUnavailable says so (a read is retried).
//
// Scripts (EVAL, EVALSHA, FCALL) must follow two rules, which NADB's do: they declare as a
// key a name that never exists, and never reply with a cluster error themselves. Then their
// TRYAGAIN, CLUSTERDOWN and ASK replies come from the node's checks before running them, and
// are retried. An ASK is waited out, never followed: a script reads and writes keys of its
// namespace it cannot declare (its old tags' sets), and on the target of a migration those
// keys not moved yet would look absent. The declared key that never exists makes the source
// answer ASK (or TRYAGAIN) for as long as the slot is migrating, so a script runs only on a
// node that holds all of its slot's keys. A redirection is followed only to a node the map
// names (after a refresh): a reply can never send a command elsewhere.
//
// Every call ends within the socket timeout plus one connection attempt: refreshes stop at the
// deadline, and a slot without a master (a failover in progress) is waited for like a busy
// cluster.
//
// Thread-safe: the map and the pools are guarded by mutex_; commands run outside it.
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "backends/redis/cluster/slot_map.hpp"
#include "backends/redis/connection_pool.hpp"
#include "backends/redis/dispatcher.hpp"
#include "util/thread_annotations.hpp"

namespace nadb::backends::redis::cluster {

class ClusterRouter final : public Dispatcher {
 public:
  // options: connection settings every node shares (host and port are ignored); seeds: nodes
  // to learn the map from. Connects lazily: the first command learns the map.
  ClusterRouter(RedisOptions options, std::vector<NodeAddress> seeds);

  // Dispatcher: routing_key's slot (key_slot) decides the node.
  Reply run(std::string_view routing_key, const Command& command, Access access) override;
  // On a redirection, the reads are run one by one, each where its keys are.
  std::vector<Reply> run_reads(std::string_view routing_key,
                               const std::vector<const Command*>& commands) override;
  // Learns the map first when it names no master; throws BackendUnavailable naming the
  // first master that does not answer.
  std::vector<Reply> run_on_masters(const Command& command) override;
  bool is_cluster() const override { return true; }
  PoolStats pool_stats() const override;
  const RedisOptions& options() const override { return options_; }

  // Runs command, all of whose keys hash to slot, on slot's master and returns its reply
  // (error replies other than redirections are returned as they are). Throws
  // BackendUnavailable as said above.
  Reply run_in_slot(std::uint16_t slot, const Command& command, Access access = Access::Write);
  // Learns the map again from the first node that answers with one (the known nodes, then
  // the seeds), trying nodes until the socket timeout has passed. Throws BackendUnavailable
  // when none does.
  void refresh();

  // Redirections followed so far.
  std::uint64_t moved_count() const { return moved_.load(); }
  std::uint64_t ask_count() const { return asked_.load(); }

 private:
  enum class Outcome { Done, Moved, Asked, Retry };
  // One attempt on node; sets reply, or redirect for MOVED/ASK, or why for a Retry. Throws
  // BackendUnavailable naming slot and node when the connection fails after a Write was sent,
  // or when replicas do not confirm it.
  Outcome attempt(std::uint16_t slot, const NodeAddress& node, const Command& command,
                  Access access, bool asking, Reply& reply, NodeAddress& redirect,
                  std::string& why);
  // What a reply says: done, redirected (redirect set) or to be retried.
  static Outcome outcome_of(const Command& command, const redisReply& reply,
                            const NodeAddress& node, NodeAddress& redirect);
  using Clock = std::chrono::steady_clock;
  ConnectionPool& pool_of(const NodeAddress& node);
  // slot's master in the map, if it has one.
  std::optional<NodeAddress> master_of(std::uint16_t slot);
  // Whether the map names node, refreshing it once (by deadline) if it does not.
  bool known(const NodeAddress& node, Clock::time_point deadline);
  void refresh(Clock::time_point deadline);
  // The wait before trying again: false if backoff would pass deadline; else sleeps it,
  // doubles it (up to 500 ms), refreshes the map (a failed refresh's cause goes in why).
  bool wait_and_refresh(std::chrono::milliseconds& backoff, Clock::time_point deadline,
                        std::string& why);

  const RedisOptions options_;
  const std::vector<NodeAddress> seeds_;
  std::atomic<std::uint64_t> moved_{0};
  std::atomic<std::uint64_t> asked_{0};
  std::atomic<std::uint64_t> waits_{0};  // backoffs before trying a command again

  // Guarded by mutex_.
  mutable util::Mutex mutex_;
  SlotMap map_ GUARDED_BY(mutex_);
  std::map<std::string, std::unique_ptr<ConnectionPool>> pools_ GUARDED_BY(mutex_);
};

}  // namespace nadb::backends::redis::cluster
