#include "backends/redis/cluster/cluster_router.hpp"

#include <optional>
#include <thread>

#include "nadb/errors.hpp"

namespace nadb::backends::redis::cluster {
namespace {

using Clock = std::chrono::steady_clock;

// Redirections followed at once in a row; beyond, the router backs off and refreshes.
constexpr int kMaxRedirects = 5;

bool starts_with(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

// The node a "MOVED <slot> <host:port>" or "ASK <slot> <host:port>" reply names. An empty host
// means the node that replied.
NodeAddress redirect_target(std::string_view error, const NodeAddress& replying) {
  NodeAddress target = NodeAddress::parse(error.substr(error.rfind(' ') + 1));
  if (target.host.empty()) target.host = replying.host;
  return target;
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

ClusterRouter::Outcome ClusterRouter::attempt(std::uint16_t slot, const NodeAddress& node,
                                              const Command& command, bool asking, Reply& reply,
                                              NodeAddress& redirect) {
  std::optional<ConnectionPool::Lease> lease;
  try {
    lease.emplace(pool_of(node).acquire());
  } catch (const BackendUnavailable&) {
    return Outcome::Retry;  // nothing was sent
  }
  try {
    if (asking) {
      Command asking_command("ASKING");
      std::vector<Reply> replies = (*lease)->run_pipeline({&asking_command, &command});
      reply = std::move(replies.at(1));
    } else {
      reply = (*lease)->run(command);
    }
  } catch (const BackendUnavailable& e) {
    throw BackendUnavailable("redis cluster: slot " + std::to_string(slot) + " at " + node.text() +
                             ": " + e.what() + " (the command may or may not have run)");
  }
  if (!is_error(*reply)) return Outcome::Done;
  std::string_view error = error_text(*reply);
  if (starts_with(error, "MOVED ")) {
    redirect = redirect_target(error, node);
    return Outcome::Moved;
  }
  if (starts_with(error, "ASK ")) {
    redirect = redirect_target(error, node);
    return Outcome::Asked;
  }
  if (starts_with(error, "TRYAGAIN") || starts_with(error, "CLUSTERDOWN")) return Outcome::Retry;
  return Outcome::Done;
}

Reply ClusterRouter::run(std::uint16_t slot, const Command& command) {
  const auto deadline = Clock::now() + options_.socket_timeout;
  auto backoff = std::chrono::milliseconds(10);
  std::optional<NodeAddress> ask_target;
  std::string last_node;
  int redirects = 0;  // followed at once, without backoff, up to kMaxRedirects in a row
  for (;;) {
    NodeAddress node = ask_target ? *ask_target : master_of(slot);
    last_node = node.text();
    Reply reply;
    NodeAddress redirect;
    Outcome outcome = attempt(slot, node, command, ask_target.has_value(), reply, redirect);
    ask_target.reset();
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
    if (Clock::now() + backoff > deadline) {
      throw BackendUnavailable(
          "redis cluster: slot " + std::to_string(slot) +
          " has no master that answers within the socket timeout (last tried " + last_node + ")");
    }
    std::this_thread::sleep_for(backoff);
    backoff = std::min(backoff * 2, std::chrono::milliseconds(500));
    try {
      refresh();
    } catch (const BackendUnavailable&) {
      // No node answers yet; the next attempt (or the deadline) decides.
    }
  }
}

NodeAddress ClusterRouter::master_of(std::uint16_t slot) {
  {
    util::MutexLock lock(mutex_);
    if (const NodeAddress* master = map_.master_of(slot)) return *master;
  }
  refresh();
  util::MutexLock lock(mutex_);
  if (const NodeAddress* master = map_.master_of(slot)) return *master;
  throw BackendUnavailable("redis cluster: no node serves slot " + std::to_string(slot));
}

void ClusterRouter::refresh() {
  std::vector<NodeAddress> candidates;
  {
    util::MutexLock lock(mutex_);
    candidates = map_.nodes();
  }
  candidates.insert(candidates.end(), seeds_.begin(), seeds_.end());
  std::string errors;
  for (const NodeAddress& node : candidates) {
    try {
      ConnectionPool::Lease lease = pool_of(node).acquire();
      Reply shards = lease->run(Command("CLUSTER", "SHARDS"));
      SlotMap map = is_error(*shards)
                        ? SlotMap::from_slots(*lease->run(Command("CLUSTER", "SLOTS")), node)
                        : SlotMap::from_shards(*shards, node);
      util::MutexLock lock(mutex_);
      map_ = std::move(map);
      return;
    } catch (const BackendUnavailable& e) {
      errors += std::string(errors.empty() ? "" : "; ") + e.what();
    }
  }
  throw BackendUnavailable("redis cluster: no node answers (" + errors + ")");
}

}  // namespace nadb::backends::redis::cluster
