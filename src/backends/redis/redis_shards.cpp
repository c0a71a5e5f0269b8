// RedisBackend's sharded namespaces (RedisOptions::shards): shard s of namespace ns is a
// namespace layout of its own under the hash tag {<db>:<ns>:<s>} (its own slot on a cluster,
// its own versions, indexes and tombstones); an unsharded namespace keeps {<db>:<ns>}. The
// count a namespace was written with is recorded in its unsharded slot, so that a store opened
// with another count cannot read an empty namespace where the data is elsewhere.
#include "backends/redis/redis_backend.hpp"
#include "backends/redis/reply.hpp"
#include "backends/redis/shard.hpp"

namespace nadb::backends::redis {

RedisBackend::Layout RedisBackend::shard_layout(std::string_view ns, std::uint32_t shard) const {
  std::size_t slash = ns.find('/');
  std::string_view base_name = ns.substr(0, slash);
  std::string base = dispatcher_->options().key_prefix + ":{" + db_ + ":" + std::string(base_name);
  std::string name = "namespace '" + std::string(base_name) + "'";
  if (shards_ > 1) {
    base += ":" + std::to_string(shard);
    name = "shard " + std::to_string(shard) + " of " + name;
  }
  base += "}";
  if (slash == std::string_view::npos) return {base, base + ":gen", std::string(ns), "", name};
  std::string token(ns.substr(slash + std::string_view("/restore-").size()));
  return {base + ":r:" + token, base + ":gen", "", token, name};
}

RedisBackend::Layout RedisBackend::layout(std::string_view ns, std::string_view key, bool writing) {
  check_shard_count(ns, writing);
  return shard_layout(ns, shard_of(key, shards_));
}

std::vector<RedisBackend::Layout> RedisBackend::layouts(std::string_view ns, bool writing) {
  check_shard_count(ns, writing);
  std::vector<Layout> all;
  all.reserve(static_cast<std::size_t>(shards_));
  for (int s = 0; s < shards_; ++s)
    all.push_back(shard_layout(ns, static_cast<std::uint32_t>(s)));
  return all;
}

std::uint32_t RedisBackend::batch_group(std::string_view, std::string_view key) const {
  return shard_of(key, shards_);
}

void RedisBackend::check_shard_count(std::string_view ns, bool writing) {
  std::string_view name = ns.substr(0, ns.find('/'));
  {
    util::MutexLock lock(shard_count_mutex_);
    if (shard_count_checked_.count(name)) return;
  }
  std::string base = dispatcher_->options().key_prefix + ":{" + db_ + ":" + std::string(name) + "}";
  std::string record = base + ":shards";
  Command get{"GET", record}, unsharded_data{"EXISTS", base + ":gen"};
  auto replies = dispatcher_->run_reads(record, {&get, &unsharded_data});
  auto mismatch = [&](std::string_view recorded) {
    throw InvalidArgument("namespace '" + std::string(name) + "' of db '" + db_ +
                          "' was written with RedisOptions::shards = " + std::string(recorded) +
                          ", this store has " + std::to_string(shards_) +
                          ": open it with that count (to change it, copy the namespace into a "
                          "store of the new count with sync_to or export/import)");
  };
  std::string recorded;
  if (!is_nil(*replies[0])) {
    recorded = string_of(*replies[0], "shard count");
  } else if (integer_of(*replies[1], "EXISTS") == 1) {
    recorded = "1";  // written before counts were recorded: unsharded
  } else if (writing) {
    Command set{"SET", record, std::to_string(shards_), "NX", "GET"};
    Reply old = dispatcher_->run(record, set, Access::Write);
    recorded = is_nil(*old) ? std::to_string(shards_) : std::string(string_of(*old, "shards"));
  } else {
    return;  // never written: nothing to find anywhere yet; checked again at the next use
  }
  if (recorded != std::to_string(shards_)) mismatch(recorded);
  util::MutexLock lock(shard_count_mutex_);
  shard_count_checked_.emplace(name);
}

void RedisBackend::recheck_shard_count(const std::string& ns) {
  {
    util::MutexLock lock(shard_count_mutex_);
    shard_count_checked_.erase(ns);
  }
  check_shard_count(ns, true);
}

}  // namespace nadb::backends::redis
