// RedisBackend's namespace-level operations: the registry of namespaces, the change index of
// incremental backups, and the staging namespaces that logical restores are built in.
#include <algorithm>
#include <limits>
#include <random>
#include <set>

#include "backends/redis/redis_backend.hpp"
#include "backends/redis/reply.hpp"

namespace nadb::backends::redis {
namespace {

// The namespace names NADB accepts (store/validation.cpp): only such a name can be one.
bool valid_namespace_name(std::string_view name) {
  return !name.empty() && name.size() <= 128 && name != "." && name != ".." &&
         name.find_first_not_of(
             "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
             "0123456789._-") == std::string_view::npos;
}

std::string random_token() {
  std::random_device random;
  char text[17];
  std::snprintf(text, sizeof text, "%08x%08x", random(), random());
  return text;
}

}  // namespace

void RedisBackend::register_namespaces(const std::vector<std::string>& names, bool again) {
  constexpr auto kRecheck = std::chrono::minutes(1);
  const auto now = std::chrono::steady_clock::now();
  std::vector<std::string_view> pending;
  {
    util::MutexLock lock(registered_mutex_);
    for (const std::string& name : names) {
      auto seen = registered_.find(name);
      if (again || seen == registered_.end() || now - seen->second > kRecheck)
        pending.push_back(name);
    }
  }
  if (pending.empty()) return;
  // A read first: a namespace registered already (by another process) is not written again,
  // which with wait_replicas would wait for replicas.
  std::string registry = registry_key();
  Command check{"SMISMEMBER", registry}, add{"SADD", registry};
  for (std::string_view name : pending)
    check.arg(name);
  Reply listed = run(registry, check, Access::Read);
  if (is_error(*listed))
    throw_error_reply("(keys " + registry + ")", "failed SMISMEMBER", error_text(*listed));
  for (std::size_t i = 0; i < pending.size(); ++i) {
    if (integer_of(element_of(*listed, i, "SMISMEMBER"), "member") == 0) add.arg(pending[i]);
  }
  if (add.size() > 2) run(registry, add, Access::Write);
  util::MutexLock lock(registered_mutex_);
  for (std::string_view name : pending)
    registered_.insert_or_assign(std::string(name), now);
}

// A db written before the registry existed: its namespaces are found once by their :gen
// keys, and only names NADB accepts are taken — a user key or tag ending in "}:gen" matches
// the pattern too, but cannot yield a valid name (it has a '}' or ':' in it).
void RedisBackend::register_old_namespaces() {
  if (old_namespaces_registered_.load() || dispatcher_->is_cluster()) return;
  std::string marker = dispatcher_->options().key_prefix + ":{" + db_ + "}:layout";
  Reply done = run(marker, Command{"EXISTS", marker}, Access::Read);
  if (integer_of(*done, "EXISTS") == 0) {
    std::string pattern;
    for (char c : dispatcher_->options().key_prefix + ":{" + db_ + ":") {
      if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') pattern.push_back('\\');
      pattern.push_back(c);
    }
    std::size_t skip = dispatcher_->options().key_prefix.size() + 2 + db_.size() + 1;
    std::string cursor = "0";
    do {
      Command scan{"SCAN", cursor, "MATCH", pattern + "*}:gen", "COUNT", "1000"};
      Reply reply = run(marker, scan, Access::Read);
      cursor = string_of(element_of(*reply, 0, "SCAN"), "cursor");
      const redisReply& keys = element_of(*reply, 1, "SCAN");
      Command add{"SADD", registry_key()};
      std::size_t names = 0;
      for (std::size_t i = 0; i < array_size(keys, "SCAN"); ++i) {
        std::string_view key = string_of(element_of(keys, i, "SCAN"), "key");
        if (key.size() <= skip + 5) continue;
        std::string_view name = key.substr(skip, key.size() - skip - 5);
        if (valid_namespace_name(name)) {
          add.arg_copy(std::string(name));
          ++names;
        }
      }
      if (names > 0) run(marker, add, Access::Write);
    } while (cursor != "0");
    run(marker, Command{"SET", marker, "2"}, Access::Write);
  }
  old_namespaces_registered_.store(true);
}

std::string RedisBackend::identity() {
  const RedisOptions& o = dispatcher_->options();
  if (dispatcher_->is_cluster()) {
    std::string key = o.key_prefix + ":{" + db_ + "}:id", id = random_token() + random_token();
    Reply old = run(key, Command{"SET", key, id, "NX", "GET"}, Access::Write);
    if (!is_nil(*old)) id = string_of(*old, "id");
    return "redis-cluster:" + id + "/" + o.key_prefix + "/" + db_;
  }
  Reply info = run("", Command{"INFO", "server"}, Access::Read);
  std::string_view text = string_of(*info, "INFO");
  std::size_t at = text.find("run_id:");
  if (at == std::string_view::npos) throw Corruption("redis: INFO server names no run_id");
  std::string run_id(text.substr(at + 7, 40));
  return "redis:" + run_id + "/" + std::to_string(o.database) + "/" + o.key_prefix + "/" + db_;
}

std::vector<std::string> RedisBackend::namespaces() {
  register_old_namespaces();
  std::string registry = registry_key();
  Reply reply = run(registry, Command{"SMEMBERS", registry}, Access::Read);
  std::set<std::string> names;
  for (std::size_t i = 0; i < array_size(*reply, "SMEMBERS"); ++i)
    names.emplace(string_of(element_of(*reply, i, "SMEMBERS"), "namespace"));
  return {names.begin(), names.end()};
}

// The union of the shards' changes (a key is in one shard), complete since the earliest of
// their clocks' retention.
ChangeSet RedisBackend::changes_since(std::string_view ns, std::int64_t since_ms) {
  ChangeSet changes;
  changes.complete_since_ms = std::numeric_limits<std::int64_t>::max();
  for (const Layout& shard : layouts(ns)) {
    Command updated{"ZRANGEBYSCORE", shard.prefix + ":u"};
    updated.arg(since_ms).arg("+inf");
    Command deleted{"ZRANGEBYSCORE", shard.prefix + ":d"};
    deleted.arg(since_ms).arg("+inf");
    Command time{"TIME"};
    auto replies = dispatcher_->run_reads(shard.prefix, {&updated, &deleted, &time});
    changes.complete_since_ms =
        std::min(changes.complete_since_ms, time_ms_of(*replies[2]) - tombstone_retention_.count());
    for (auto [reply, out] :
         {std::pair{&replies[0], &changes.updated}, {&replies[1], &changes.deleted}}) {
      for (std::size_t i = 0; i < array_size(**reply, "ZRANGEBYSCORE"); ++i)
        out->emplace_back(string_of(element_of(**reply, i, "ZRANGEBYSCORE"), "key"));
    }
  }
  return changes;
}

// The earliest clock of the masters: each stamps its namespaces' changes with its own, and a
// change made after this call must be stamped at or after it on every one of them.
std::int64_t RedisBackend::change_clock_ms() {
  std::int64_t earliest = std::numeric_limits<std::int64_t>::max();
  for (const Reply& reply : dispatcher_->run_on_masters(Command{"TIME"}))
    earliest = std::min(earliest, time_ms_of(*reply));
  return earliest;
}

// Staging areas are listed in each shard's <prefix>:r with their creation time: one left
// behind by a restore that was killed is dropped by the next restore of ns after a day (shard
// by shard: a restore killed between its shards' swaps leaves the rest listed).
std::string RedisBackend::create_staging(std::string_view ns) {
  constexpr std::int64_t kAbandonedMs = 24LL * 3600 * 1000;
  std::int64_t now = change_clock_ms();
  std::string token = random_token();
  for (const Layout& shard : layouts(ns, true)) {
    std::string list = shard.prefix + ":r";
    Command stale{"ZRANGEBYSCORE", list, "-inf"};
    stale.arg(now - kAbandonedMs);
    Reply old = run(list, stale, Access::Read);
    for (std::size_t i = 0; i < array_size(*old, "ZRANGEBYSCORE"); ++i) {
      std::string old_token(string_of(element_of(*old, i, "ZRANGEBYSCORE"), "token"));
      drop_staging_shard(shard, {shard.prefix + ":r:" + old_token, "", "", old_token, ""});
    }
    Command add{"ZADD", list};
    add.arg(now).arg(token);
    run(list, add, Access::Write);
  }
  return std::string(ns) + "/restore-" + token;
}

void RedisBackend::swap_in_staging(std::string_view ns, std::string_view staging) {
  std::vector<Layout> targets = layouts(ns, true), sources = layouts(staging);
  if (!targets[0].registered.empty()) register_namespaces({targets[0].registered}, false);
  const std::size_t per_script = shards_per_script(targets.size());
  for (std::size_t first = 0; first < targets.size(); first += per_script) {
    Command args;
    for (std::size_t s = first; s < first + per_script; ++s)
      args.arg(targets[s].prefix);
    for (std::size_t s = first; s < first + per_script; ++s)
      args.arg(sources[s].prefix);
    args.arg(sources[first].token);
    swap_script_.run(*dispatcher_, targets[first].prefix, Access::Write, 2 * per_script, args);
  }
}

void RedisBackend::drop_staging(std::string_view ns, std::string_view staging) {
  std::vector<Layout> targets = layouts(ns), sources = layouts(staging);
  for (std::size_t s = 0; s < targets.size(); ++s)
    drop_staging_shard(targets[s], sources[s]);
}

void RedisBackend::drop_staging_shard(const Layout& target, const Layout& source) {
  Command args{target.prefix, source.prefix, source.token};
  for (;;) {
    Reply left = drop_script_.run(*dispatcher_, target.prefix, Access::Write, 2, args);
    if (integer_of(*left, "drop") == 0) return;
  }
}

}  // namespace nadb::backends::redis
