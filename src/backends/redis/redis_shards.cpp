// RedisBackend's sharded namespaces (RedisOptions::shards): shard s of namespace ns is a
// namespace layout of its own under the hash tag {<db>:<ns>:<s>} (its own slot on a cluster,
// its own versions, indexes and tombstones); an unsharded namespace keeps {<db>:<ns>}. The
// count a namespace was written with is recorded in its unsharded slot and is the one every
// operation on it uses: a store's RedisOptions::shards is the count of the namespaces it
// creates, and must be the recorded one for the namespace the store was opened on — a backup,
// restore or sync of the db reaches the other namespaces with their own counts.
#include <cstdlib>

#include "backends/redis/redis_backend.hpp"
#include "backends/redis/reply.hpp"
#include "backends/redis/shard.hpp"

namespace nadb::backends::redis {

RedisBackend::Layout RedisBackend::shard_layout(std::string_view ns, int count,
                                                std::uint32_t shard) const {
  std::size_t slash = ns.find('/');
  std::string_view base_name = ns.substr(0, slash);
  std::string base = dispatcher_->options().key_prefix + ":{" + db_ + ":" + std::string(base_name);
  std::string name = "namespace '" + std::string(base_name) + "'";
  if (count > 1) {
    base += ":" + std::to_string(shard);
    name = "shard " + std::to_string(shard) + " of " + name;
  }
  base += "}";
  if (slash == std::string_view::npos) return {base, base + ":gen", std::string(ns), "", name};
  std::string token(ns.substr(slash + std::string_view("/restore-").size()));
  return {base + ":r:" + token, base + ":gen", "", token, name};
}

RedisBackend::Layout RedisBackend::layout(std::string_view ns, std::string_view key, bool writing) {
  int count = shard_count(ns, writing);
  return shard_layout(ns, count, shard_of(key, count));
}

std::vector<RedisBackend::Layout> RedisBackend::layouts(std::string_view ns, bool writing) {
  int count = shard_count(ns, writing);
  std::vector<Layout> all;
  all.reserve(static_cast<std::size_t>(count));
  for (int s = 0; s < count; ++s)
    all.push_back(shard_layout(ns, count, static_cast<std::uint32_t>(s)));
  return all;
}

std::uint32_t RedisBackend::batch_group(std::string_view ns, std::string_view key) const {
  return shard_of(key, shard_count(ns, false));
}

void RedisBackend::insist_on_shard_count(std::string_view ns) {
  util::MutexLock lock(shard_count_mutex_);
  own_namespaces_.emplace(ns);
}

int RedisBackend::shard_count(std::string_view ns, bool writing) const {
  std::string_view name = ns.substr(0, ns.find('/'));
  int count = 0;
  {
    util::MutexLock lock(shard_count_mutex_);
    if (auto known = shard_counts_.find(name); known != shard_counts_.end()) count = known->second;
  }
  if (count == 0) {
    count = read_shard_count(name, writing);
    if (count == 0) return shards_;  // never written: nothing is anywhere yet; asked again
    util::MutexLock lock(shard_count_mutex_);
    shard_counts_.emplace(name, count);
  }
  if (count != shards_) {
    util::MutexLock lock(shard_count_mutex_);
    if (own_namespaces_.count(name)) {
      throw InvalidArgument("namespace '" + std::string(name) + "' of db '" + db_ +
                            "' was written with RedisOptions::shards = " + std::to_string(count) +
                            ", this store has " + std::to_string(shards_) +
                            ": open it with that count (a namespace keeps its count, through "
                            "flushdb too; copy it into a namespace of another name to change "
                            "it)");
    }
  }
  return count;
}

// The recorded count of ns, 1 for data from before counts were recorded, or 0 when ns was never
// written (then, when writing, the count is recorded as shards_ first).
int RedisBackend::read_shard_count(std::string_view name, bool writing) const {
  std::string base = dispatcher_->options().key_prefix + ":{" + db_ + ":" + std::string(name);
  std::string record = base + "}:shards";
  auto parse = [&](const redisReply& reply) {
    std::string text(string_of(reply, "shard count"));
    int count = text.size() < 5 ? std::atoi(text.c_str()) : 0;
    if (count < 1 || count > kMaxShards || std::to_string(count) != text)
      throw Corruption("redis: " + record + " holds '" + text + "', not a shard count");
    return count;
  };
  // The record, or 1 for unsharded data from before records; 0 when there is neither.
  auto recorded = [&] {
    Command get{"GET", record}, unsharded_data{"EXISTS", base + "}:gen"};
    auto replies = dispatcher_->run_reads(record, {&get, &unsharded_data});
    if (!is_nil(*replies[0])) return parse(*replies[0]);
    return integer_of(*replies[1], "EXISTS") == 1 ? 1 : 0;
  };
  if (int count = recorded()) return count;
  // Every namespace is registered after its count is recorded and before its first write: one
  // registered without a record (read again now: another writer may have just recorded and
  // registered it) or unsharded data holds sharded data whose record is gone (deleted,
  // evicted). Its count is unknown, and a new record could name another.
  std::string registry = registry_key();
  Reply listed = dispatcher_->run(registry, Command{"SISMEMBER", registry, name}, Access::Read);
  if (integer_of(*listed, "SISMEMBER") == 1) {
    if (int count = recorded()) return count;
    throw Corruption("redis: namespace '" + std::string(name) +
                     "' is registered but its shard count record " + record +
                     " is gone: SET it back to the count the namespace was written with");
  }
  if (!writing) return 0;
  Reply old = dispatcher_->run(record, Command{"SET", record, std::to_string(shards_), "NX", "GET"},
                               Access::Write);
  return is_nil(*old) ? shards_ : parse(*old);
}

void RedisBackend::recheck_shard_count(const std::string& ns) {
  {
    util::MutexLock lock(shard_count_mutex_);
    shard_counts_.erase(ns);
  }
  shard_count(ns, true);
}

}  // namespace nadb::backends::redis
