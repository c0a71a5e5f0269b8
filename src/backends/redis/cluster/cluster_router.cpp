#include "backends/redis/cluster/cluster_router.hpp"

#include <algorithm>
#include <cctype>
#include <optional>
#include <thread>

#include "backends/redis/cluster/key_slot.hpp"
#include "nadb/errors.hpp"

namespace nadb::backends::redis::cluster {
namespace {

// Redirections followed at once in a row; beyond, the router backs off and refreshes.
constexpr int kMaxRedirects = 5;

bool starts_with(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

// The node a "MOVED <slot> <host:port>" or "ASK <slot> <host:port>" reply names. An empty host
// means the node that replied; "?" (an endpoint the node does not know) gives an empty host.
NodeAddress redirect_target(std::string_view error, const NodeAddress& replying) {
  std::size_t space = error.rfind(' ');
  try {
    if (space == std::string_view::npos) throw InvalidArgument("no address");
    NodeAddress target = NodeAddress::parse(error.substr(space + 1));
    if (target.host.empty()) target.host = replying.host;
    if (target.host == "?") target.host.clear();
    return target;
  } catch (const InvalidArgument&) {
    throw Corruption("redis cluster: node " + replying.text() +
                     " sent a malformed redirection: " + std::string(error.substr(0, 200)));
  }
}

bool is_script(const Command& command) {
  std::string_view name = command.name();
  auto is = [&](std::string_view n) {
    return name.size() == n.size() &&
           std::equal(name.begin(), name.end(), n.begin(), [](unsigned char a, unsigned char b) {
             return std::toupper(a) == std::toupper(b);
           });
  };
  return is("EVAL") || is("EVALSHA") || is("FCALL") || is("EVAL_RO") || is("EVALSHA_RO") ||
         is("FCALL_RO");
}

}  // namespace

ClusterRouter::ClusterRouter(RedisOptions options, std::vector<NodeAddress> seeds)
    : options_(std::move(options)), seeds_(std::move(seeds)) {
  if (seeds_.empty()) throw InvalidArgument("a Redis Cluster needs at least one seed node");
}

ConnectionPool& ClusterRouter::pool_of(const NodeAddress& node) {
  util::MutexLock lock(mutex_);
  auto& pool = pools_[node.text()];
  if (!pool) {
    RedisOptions options = options_;
    options.host = node.host;
    options.port = node.port;
    pool = std::make_unique<ConnectionPool>(options);
  }
  return *pool;
}

ClusterRouter::Outcome ClusterRouter::outcome_of(const Command& command, const redisReply& reply,
                                                 const NodeAddress& node, NodeAddress& redirect) {
  if (!is_error(reply)) return Outcome::Done;
  std::string_view error = error_text(reply);
  if (starts_with(error, "MOVED ")) {
    redirect = redirect_target(error, node);
    return Outcome::Moved;
  }
  if (starts_with(error, "ASK ")) {
    if (is_script(command)) return Outcome::Retry;  // waited out, never followed (above)
    redirect = redirect_target(error, node);
    return Outcome::Asked;
  }
  bool busy = starts_with(error, "TRYAGAIN") || starts_with(error, "CLUSTERDOWN");
  return busy ? Outcome::Retry : Outcome::Done;
}

ClusterRouter::Outcome ClusterRouter::attempt(std::uint16_t slot, const NodeAddress& node,
                                              const Command& command, Access access, bool asking,
                                              Reply& reply, NodeAddress& redirect,
                                              std::string& why) {
  std::optional<ConnectionPool::Lease> lease;
  try {
    lease.emplace(pool_of(node).acquire());
  } catch (const BackendUnavailable& e) {
    why = e.what();
    return Outcome::Retry;  // nothing was sent
  }
  Command asking_command("ASKING");
  Command wait = wait_command(options_);
  std::vector<const Command*> pipeline;
  if (asking) pipeline.push_back(&asking_command);
  pipeline.push_back(&command);
  bool waits = access == Access::Write && options_.wait_replicas > 0;
  if (waits) pipeline.push_back(&wait);
  std::vector<Reply> replies;
  try {
    replies = (*lease)->run_pipeline(pipeline);
  } catch (const BackendUnavailable& e) {
    why = e.what();
    if (access == Access::Read) return Outcome::Retry;
    throw BackendUnavailable("redis cluster: slot " + std::to_string(slot) + " at " + node.text() +
                             ": " + e.what() + " (the write may or may not have run)");
  }
  reply = std::move(replies.at(asking ? 1 : 0));
  Outcome outcome = outcome_of(command, *reply, node, redirect);
  if (outcome == Outcome::Retry) {
    why = starts_with(error_text(*reply), "ASK ")
              ? "the slot is being migrated to another node, and a script waits until it has "
                "moved"
              : std::string(error_text(*reply));
  }
  if (outcome == Outcome::Done && waits) {
    check_replicas(options_, *reply, *replies.back(),
                   "slot " + std::to_string(slot) + " at " + node.text());
  }
  return outcome;
}

Reply ClusterRouter::run(std::string_view routing_key, const Command& command, Access access) {
  return run_in_slot(key_slot(routing_key), command, access);
}

std::vector<Reply> ClusterRouter::run_reads(std::string_view routing_key,
                                            const std::vector<const Command*>& commands) {
  std::uint16_t slot = key_slot(routing_key);
  if (std::optional<NodeAddress> node = master_of(slot)) {
    try {
      std::vector<Reply> replies = pool_of(*node).acquire()->run_pipeline(commands);
      NodeAddress redirect;
      bool settled = std::all_of(replies.begin(), replies.end(), [&](const Reply& reply) {
        return outcome_of(Command(), *reply, *node, redirect) == Outcome::Done;
      });
      if (settled) return replies;
    } catch (const BackendUnavailable&) {
      // Reads: tried again one by one below, each with the router's retries.
    }
  }
  std::vector<Reply> replies;
  for (const Command* command : commands)
    replies.push_back(run_in_slot(slot, *command, Access::Read));
  return replies;
}

std::vector<Reply> ClusterRouter::run_on_masters(const Command& command) {
  const auto deadline = Clock::now() + options_.socket_timeout;
  auto backoff = std::chrono::milliseconds(10);
  for (;;) {
    std::vector<NodeAddress> masters;
    {
      util::MutexLock lock(mutex_);
      masters = map_.masters();
    }
    std::vector<Reply> replies;
    std::string failed = masters.empty() ? "no master known" : "";
    for (const NodeAddress& master : masters) {
      try {
        replies.push_back(pool_of(master).acquire()->run(command));
      } catch (const BackendUnavailable& e) {
        failed = "master " + master.text() + ": " + e.what();
        break;
      }
    }
    if (failed.empty()) return replies;
    // A master down (a failover in progress): waited for like any command, the map refreshed.
    if (!wait_and_refresh(backoff, deadline, failed)) {
      throw BackendUnavailable(
          "redis cluster: not every master answers within the socket timeout (" + failed + ")");
    }
  }
}

bool ClusterRouter::wait_and_refresh(std::chrono::milliseconds& backoff, Clock::time_point deadline,
                                     std::string& why) {
  if (Clock::now() + backoff > deadline) return false;
  ++waits_;
  std::this_thread::sleep_for(backoff);
  backoff = std::min(backoff * 2, std::chrono::milliseconds(500));
  try {
    refresh(deadline);
  } catch (const BackendUnavailable& e) {
    why = e.what();  // no node answers yet; the next attempt (or the deadline) decides
  }
  return true;
}

PoolStats ClusterRouter::pool_stats() const {
  PoolStats total;
  util::MutexLock lock(mutex_);
  for (const auto& [name, pool] : pools_) {
    PoolStats s = pool->stats();
    total.size += s.size;
    total.open += s.open;
    total.in_use += s.in_use;
    total.idle += s.idle;
    total.waits += s.waits;
    total.wait_time_ms += s.wait_time_ms;
    total.timeouts += s.timeouts;
    total.created += s.created;
    total.failed += s.failed;
    total.reconnects += s.reconnects;
    total.health_checks += s.health_checks;
  }
  total.cluster_moved = moved_.load();
  total.cluster_asked = asked_.load();
  total.cluster_waits = waits_.load();
  return total;
}

Reply ClusterRouter::run_in_slot(std::uint16_t slot, const Command& command, Access access) {
  const auto deadline = Clock::now() + options_.socket_timeout;
  auto backoff = std::chrono::milliseconds(10);
  std::optional<NodeAddress> ask_target;
  bool asking = false;
  std::string last_node = "none", why = "no node answered";
  int redirects = 0;  // followed at once, without backoff, up to kMaxRedirects in a row
  if (!master_of(slot)) {
    try {
      refresh(deadline);  // the first command, or a slot the map lacks: no backoff first
    } catch (const BackendUnavailable& e) {
      why = e.what();  // the loop below retries until the deadline
    }
  }
  for (;;) {
    std::optional<NodeAddress> node = ask_target ? ask_target : master_of(slot);
    ask_target.reset();
    Outcome outcome = Outcome::Retry;  // no master known for the slot: wait for one
    Reply reply;
    NodeAddress redirect;
    if (node) {
      last_node = node->text();
      outcome = attempt(slot, *node, command, access, asking, reply, redirect, why);
    }
    asking = false;
    bool redirected = outcome == Outcome::Moved || outcome == Outcome::Asked;
    if (redirected && redirect.host.empty()) {
      outcome = Outcome::Retry;  // "?": the node does not know the address; the map will
    } else if (redirected && !known(redirect, deadline)) {
      // Not a node of the cluster's map, even refreshed: a redirection the cluster did not
      // make (a script can reply with any error) is never followed.
      throw BackendUnavailable("redis cluster: node " + last_node + " redirected slot " +
                               std::to_string(slot) + " to " + redirect.text() +
                               ", which the cluster's map does not name");
    }
    switch (outcome) {
      case Outcome::Done:
        return reply;
      case Outcome::Moved: {
        ++moved_;
        util::MutexLock lock(mutex_);
        map_.move(slot, redirect);
        break;
      }
      case Outcome::Asked:
        ++asked_;
        ask_target = redirect;
        asking = true;
        break;
      case Outcome::Retry:
        redirects = kMaxRedirects;
        break;
    }
    // Nodes that redirect to each other (their views of the slot disagree while the cluster
    // reconfigures) are waited for like a busy cluster, never followed forever.
    if (++redirects <= kMaxRedirects) continue;
    redirects = 0;
    ask_target.reset();
    if (!wait_and_refresh(backoff, deadline, why)) {
      throw BackendUnavailable("redis cluster: slot " + std::to_string(slot) +
                               " could not be served within the socket timeout (last tried " +
                               last_node + ": " + why + "); nothing was applied");
    }
  }
}

std::optional<NodeAddress> ClusterRouter::master_of(std::uint16_t slot) {
  util::MutexLock lock(mutex_);
  if (const NodeAddress* master = map_.master_of(slot)) return *master;
  return std::nullopt;
}

bool ClusterRouter::known(const NodeAddress& node, Clock::time_point deadline) {
  auto named = [&] {
    util::MutexLock lock(mutex_);
    return map_.names(node);
  };
  if (node.host.empty()) return false;
  if (named()) return true;
  try {
    refresh(deadline);
  } catch (const BackendUnavailable&) {
    return false;
  }
  return named();
}

void ClusterRouter::refresh() {
  refresh(Clock::now() + options_.socket_timeout);
}

void ClusterRouter::refresh(Clock::time_point deadline) {
  std::vector<NodeAddress> candidates;
  {
    util::MutexLock lock(mutex_);
    candidates = map_.nodes();
  }
  for (const NodeAddress& seed : seeds_) {
    if (std::find(candidates.begin(), candidates.end(), seed) == candidates.end())
      candidates.push_back(seed);
  }
  std::string errors;
  for (const NodeAddress& node : candidates) {
    if (Clock::now() >= deadline) break;
    try {
      ConnectionPool::Lease lease = pool_of(node).acquire();
      Reply shards = lease->run(Command("CLUSTER", "SHARDS"));
      if (is_error(*shards) &&
          error_text(*shards).find("cluster support disabled") != std::string_view::npos) {
        throw InvalidArgument("redis cluster: " + node.text() +
                              " is not a Redis Cluster node (cluster support disabled): use "
                              "redis:// for a single server");
      }
      SlotMap map = is_error(*shards)
                        ? SlotMap::from_slots(*lease->run(Command("CLUSTER", "SLOTS")), node)
                        : SlotMap::from_shards(*shards, node, options_.tls);
      util::MutexLock lock(mutex_);
      map_ = std::move(map);
      return;
    } catch (const BackendUnavailable& e) {
      errors += std::string(errors.empty() ? "" : "; ") + e.what();
    } catch (const Corruption& e) {  // a node that does not speak the cluster protocol
      errors += std::string(errors.empty() ? "" : "; ") + node.text() + ": " + e.what();
    }
  }
  throw BackendUnavailable("redis cluster: no node answers with the cluster's map (" + errors +
                           ")");
}

}  // namespace nadb::backends::redis::cluster
