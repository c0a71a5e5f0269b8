#include "backends/redis/cluster/cluster_router.hpp"

#include <algorithm>
#include <cctype>
#include <optional>
#include <thread>

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

// Scripts run by EVAL/EVALSHA/FCALL can reply with any error text, after writing: their
// TRYAGAIN or CLUSTERDOWN is not proof that nothing ran.
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
  bool busy = starts_with(error, "TRYAGAIN") || starts_with(error, "CLUSTERDOWN");
  return busy && !is_script(command) ? Outcome::Retry : Outcome::Done;
}

Reply ClusterRouter::run(std::uint16_t slot, const Command& command) {
  const auto deadline = Clock::now() + options_.socket_timeout;
  auto backoff = std::chrono::milliseconds(10);
  std::optional<NodeAddress> ask_target;
  bool asking = false;
  std::string last_node = "none";
  int redirects = 0;  // followed at once, without backoff, up to kMaxRedirects in a row
  if (!master_of(slot)) {
    try {
      refresh(deadline);  // the first command, or a slot the map lacks: no backoff first
    } catch (const BackendUnavailable&) {
      // The loop below retries until the deadline.
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
      outcome = attempt(slot, *node, command, asking, reply, redirect);
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
    if (Clock::now() + backoff > deadline) {
      throw BackendUnavailable(
          "redis cluster: slot " + std::to_string(slot) +
          " has no master that answers within the socket timeout (last tried " + last_node + ")");
    }
    std::this_thread::sleep_for(backoff);
    backoff = std::min(backoff * 2, std::chrono::milliseconds(500));
    try {
      refresh(deadline);
    } catch (const BackendUnavailable&) {
      // No node answers yet; the next attempt (or the deadline) decides.
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
      SlotMap map = is_error(*shards)
                        ? SlotMap::from_slots(*lease->run(Command("CLUSTER", "SLOTS")), node)
                        : SlotMap::from_shards(*shards, node);
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
