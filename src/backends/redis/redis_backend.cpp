#include "backends/redis/redis_backend.hpp"

#include <unistd.h>
#include <algorithm>
#include <mutex>
#include <set>
#include <unordered_map>

#include "backends/redis/cluster/cluster_router.hpp"
#include "backends/redis/cluster/key_slot.hpp"
#include "backends/redis/lua_sources.hpp"
#include "backends/redis/metadata.hpp"
#include "backends/redis/redis_url.hpp"
#include "backends/redis/server_dispatcher.hpp"
#include "backends/redis/shard.hpp"
#include "backends/redis/tls_context.hpp"
#include "backends/redis_backend.hpp"
#include "nadb/errors.hpp"

namespace nadb::backends::redis {
namespace {

// Redis refuses bulk strings over 512 MiB (proto-max-bulk-len) and requests over its
// client-query-buffer-limit (RedisOptions::max_request_bytes); both are checked before
// anything is sent.
constexpr std::uint64_t kMaxValue = 512ull << 20;
// Keys swept per script call: bounds how long one sweep blocks the server.
constexpr std::int64_t kSweepChunk = 1000;

}  // namespace

RedisOptions resolved(const Options& options) {
  RedisOptions r = options.redis;
  if (!r.url.empty()) apply_url(r.url, r);
  const RedisOptions& given = options.redis;
  bool tls_asked = given.tls || !given.tls_ca_file.empty() || !given.tls_cert_file.empty() ||
                   !given.tls_key_file.empty() || !given.tls_server_name.empty();
  if (tls_asked && !r.tls) {
    throw InvalidArgument(
        "RedisOptions asks for TLS (tls or a tls_* setting) but the URL '" + r.url +
        "' is plaintext: use rediss:// (or rediss+cluster://) rather than send in plaintext");
  }
  if (r.connect_timeout.count() <= 0 || r.socket_timeout.count() <= 0) {
    throw InvalidArgument("RedisOptions::connect_timeout and socket_timeout must be positive");
  }
  if (r.key_prefix.empty() || r.key_prefix.find_first_of("{}") != std::string::npos) {
    throw InvalidArgument("RedisOptions::key_prefix must be non-empty without '{' or '}', got '" +
                          r.key_prefix + "'");
  }
  if (r.cluster && r.database != 0) {
    throw InvalidArgument("RedisOptions::database must be 0 on a Redis Cluster, got " +
                          std::to_string(r.database));
  }
  if (r.wait_replicas < 0 || (r.wait_replicas > 0 && r.wait_timeout.count() <= 0)) {
    throw InvalidArgument(
        "RedisOptions::wait_replicas must be at least 0, and wait_timeout positive when it "
        "is set (WAIT 0 would wait forever)");
  }
  if (r.shards < 1 || r.shards > kMaxShards) {
    throw InvalidArgument("RedisOptions::shards must be 1 to " + std::to_string(kMaxShards) +
                          ", got " + std::to_string(r.shards));
  }
  if (r.tls) tls_context(r);  // InvalidArgument now for files that cannot be loaded
  if (r.max_request_bytes < (1 << 20)) {
    throw InvalidArgument(
        "RedisOptions::max_request_bytes must be at least 1 MiB (Redis's "
        "smallest client-query-buffer-limit)");
  }
  return r;
}

namespace {

// The op and condition letters of lua/apply.lua.
std::string_view kind_letter(WriteOp::Kind kind) {
  switch (kind) {
    case WriteOp::Kind::Put:
      return "P";
    case WriteOp::Kind::Remove:
      return "R";
    case WriteOp::Kind::Expire:
      return "E";
    case WriteOp::Kind::Check:
      return "C";
    case WriteOp::Kind::Clear:
    case WriteOp::Kind::RemoveExpired:
      break;  // alone in their batches, which apply runs as scripts of their own
  }
  throw InvalidArgument("a namespace-wide op cannot be part of an apply.lua batch");
}

std::string_view condition_letter(WriteOp::Condition condition) {
  switch (condition) {
    case WriteOp::Condition::None:
      return "N";
    case WriteOp::Condition::Absent:
      return "A";
    case WriteOp::Condition::Version:
      return "V";
  }
  return "N";
}

// The ZRANGEBYLEX bounds of the keys starting with prefix and greater than cursor.
std::pair<std::string, std::string> lex_bounds(std::string_view prefix, std::string_view cursor) {
  std::string min = !cursor.empty() && cursor >= prefix ? "(" + std::string(cursor)
                    : prefix.empty()                    ? "-"
                                                        : "[" + std::string(prefix);
  return {min, lex_upper_bound(prefix)};
}

std::unique_ptr<Dispatcher> make_dispatcher(const RedisOptions& options) {
  if (!options.cluster) return std::make_unique<ServerDispatcher>(options);
  std::vector<cluster::NodeAddress> seeds{{options.host, options.port}};
  for (const std::string& node : options.seed_nodes)
    seeds.push_back(cluster::NodeAddress::parse(node));
  return std::make_unique<cluster::ClusterRouter>(options, std::move(seeds));
}

}  // namespace

std::string lex_upper_bound(std::string_view prefix) {
  std::string successor(prefix);
  while (!successor.empty() && static_cast<unsigned char>(successor.back()) == 0xff)
    successor.pop_back();
  if (successor.empty()) return "+";
  successor.back() = static_cast<char>(static_cast<unsigned char>(successor.back()) + 1);
  return "(" + successor;
}

RedisBackend::RedisBackend(const Options& options)
    : db_(options.db),
      tombstone_retention_(options.redis.tombstone_retention),
      dispatcher_(make_dispatcher(resolved(options))),
      shards_(dispatcher_->options().shards),
      apply_script_(lua::apply),
      sweep_script_(lua::sweep),
      clear_script_(lua::clear),
      scan_script_(lua::scan),
      query_script_(lua::query),
      swap_script_(lua::swap),
      drop_script_(lua::drop) {
  capabilities_.name = "redis";
  capabilities_.persistent = true;
  capabilities_.shared_by_processes = true;
  // A sixteenth of a request is left for what a batch's ops carry besides keys and values.
  std::uint64_t request = dispatcher_->options().max_request_bytes;
  capabilities_.max_batch_bytes = request - request / 16;
  // A value must fit a batch with a key of 64 KiB, which a request carries three times.
  capabilities_.max_value_size = std::min(kMaxValue, capabilities_.max_batch_bytes - (256 << 10));
}

std::string RedisBackend::registry_key() const {
  return dispatcher_->options().key_prefix + ":{" + db_ + "}:namespaces";
}

Command RedisBackend::encode_batch(const WriteBatch& batch, std::vector<std::string>& keys,
                                   std::vector<std::string>& names) {
  // ns -> the index (1-based, 0: none yet) of each of its shards' layouts
  std::unordered_map<std::string_view, std::vector<std::int64_t>> index_of;
  std::vector<Layout> layouts;
  std::vector<std::int64_t> op_layout;
  op_layout.reserve(batch.ops.size());
  for (const WriteOp& op : batch.ops) {
    auto [shards, added] = index_of.try_emplace(op.ns);
    if (added) shards->second.assign(static_cast<std::size_t>(shard_count(op.ns, false)), 0);
    int count = static_cast<int>(shards->second.size());
    std::uint32_t shard = shard_of(op.key, count);
    std::int64_t& index = shards->second[shard];
    if (index == 0) {
      layouts.push_back(shard_layout(op.ns, count, shard));
      index = static_cast<std::int64_t>(layouts.size());
      if (!layouts.back().registered.empty() && added) names.push_back(layouts.back().registered);
    }
    op_layout.push_back(index);
  }
  if (dispatcher_->is_cluster()) {  // one slot per namespace or shard: compared once each
    for (const Layout& l : layouts) {
      if (cluster::key_slot(l.prefix) != cluster::key_slot(layouts[0].prefix)) {
        throw NotSupported("a batch over " + layouts[0].name + " and " + l.name +
                           " on a Redis Cluster: they are in different hash slots, and one "
                           "script runs in one slot; write each in its own batch (keys that "
                           "share a {tag} share a shard)");
      }
    }
  }
  // Only a batch that can run records a new namespace's count: the one its layouts used,
  // unless another process recorded another meanwhile.
  for (const auto& [ns, shards] : index_of) {
    if (static_cast<std::size_t>(shard_count(ns, true)) != shards.size()) {
      throw InvalidArgument("namespace '" + std::string(ns) +
                            "' was just created by another store with another shard count; "
                            "nothing was written");
    }
  }
  for (const auto& l : layouts)
    keys.push_back(l.prefix);
  for (const auto& l : layouts)
    keys.push_back(l.generation);
  Command command;
  for (const auto& k : keys)
    command.arg(k);
  command.arg(batch.now_ms)
      .arg(static_cast<std::int64_t>(batch.ops.size()))
      .arg(static_cast<std::int64_t>(layouts.size()));
  for (std::size_t i = 0; i < batch.ops.size(); ++i) {
    const WriteOp& op = batch.ops[i];
    std::int64_t ns_index = op_layout[i];
    const std::string& p = layouts[static_cast<std::size_t>(ns_index - 1)].prefix;
    command.arg(kind_letter(op.kind))
        .arg(ns_index)
        .arg(condition_letter(op.condition))
        .arg(static_cast<std::int64_t>(op.expected_version))
        .arg(op.key)
        .arg_copy(p + ":m:" + op.key)
        .arg_copy(p + ":v:" + op.key)
        .arg(op.value)
        .arg(op.expires_ms)
        .arg_copy(metadata_tail(op, batch.now_ms))
        .arg_copy(pack_tags(op.tags))
        .arg(static_cast<std::int64_t>(op.tags.size()));
    for (const auto& tag : op.tags)
      command.arg(tag);
  }
  if (command.wire_bytes() > dispatcher_->options().max_request_bytes) {
    throw InvalidArgument("batch of " + std::to_string(command.wire_bytes()) +
                          " bytes exceeds what one Redis request may carry (" +
                          std::to_string(dispatcher_->options().max_request_bytes) +
                          ", RedisOptions::max_request_bytes); split it");
  }
  return command;
}

BatchResult RedisBackend::apply(const WriteBatch& batch) {
  check_batch_rules(batch, capabilities_.max_batch_bytes);
  BatchResult result;
  result.ops.resize(batch.ops.size());
  if (batch.ops.empty()) return result;
  if (batch.ops[0].kind == WriteOp::Kind::Clear) {
    result.ops[0].removed = clear(batch.ops[0].ns, batch.now_ms);
    return result;
  }
  if (batch.ops[0].kind == WriteOp::Kind::RemoveExpired) {
    result.ops[0].removed = sweep(batch.ops[0].ns);
    return result;
  }
  std::vector<std::string> keys, names;
  Command command = encode_batch(batch, keys, names);
  register_namespaces(names, false);
  Reply reply = apply_script_.run(*dispatcher_, keys[0], Access::Write, keys.size(), command);
  if (integer_of(element_of(*reply, 0, "apply"), "apply status") == 0) {
    result.applied = false;
    result.failed_op = static_cast<std::size_t>(integer_of(element_of(*reply, 1, "apply"), "op"));
    return result;
  }
  for (std::size_t i = 0; i < batch.ops.size(); ++i) {
    result.ops[i].existed = integer_of(element_of(*reply, 1 + 2 * i, "apply"), "existed") != 0;
    result.ops[i].version =
        static_cast<std::uint64_t>(integer_of(element_of(*reply, 2 + 2 * i, "apply"), "version"));
  }
  if (integer_of(element_of(*reply, 1 + 2 * batch.ops.size(), "apply"), "fresh") != 0) {
    for (const std::string& name : names)
      recheck_shard_count(name);
    register_namespaces(names, true);
  }
  return result;
}

std::optional<StoredRecord> RedisBackend::decode(const redisReply* meta_reply,
                                                 const redisReply* value_reply,
                                                 const std::string& prefix, std::int64_t now_ms,
                                                 bool with_tags) {
  if (is_nil(*meta_reply)) return std::nullopt;
  StoredRecord record;
  record.meta = unpack_metadata(string_of(*meta_reply, "metadata"), with_tags);
  const RecordMeta& meta = record.meta;
  if (meta.expires_ms != 0 && meta.expires_ms <= now_ms) {
    sweep_shard(prefix);  // lazily: a read that meets an expired key sweeps
    return std::nullopt;
  }
  if (value_reply) {
    if (is_nil(*value_reply)) throw Corruption("redis: a key has metadata but no value");
    record.value = string_of(*value_reply, "value");
  }
  return record;
}

std::optional<StoredRecord> RedisBackend::read(std::string_view ns, std::string_view key,
                                               std::int64_t now_ms, bool with_value,
                                               bool with_tags) {
  std::string p = layout(ns, key).prefix;
  std::string meta_key = p + ":m:" + std::string(key);
  std::string value_key = p + ":v:" + std::string(key);
  Command command{"MGET", meta_key};
  if (with_value) command.arg(value_key);
  Reply reply = run(p, command, Access::Read);
  return decode(&element_of(*reply, 0, "MGET"),
                with_value ? &element_of(*reply, 1, "MGET") : nullptr, p, now_ms, with_tags);
}

std::vector<std::optional<StoredRecord>> RedisBackend::get_many(
    std::string_view ns, const std::vector<std::string>& keys, std::int64_t now_ms,
    bool with_tags) {
  std::vector<std::optional<StoredRecord>> records(keys.size());
  if (keys.empty()) return records;
  std::vector<Layout> shards = layouts(ns);
  std::vector<std::vector<std::size_t>> of_shard(shards.size());  // shard -> indexes of keys
  for (std::size_t i = 0; i < keys.size(); ++i)
    of_shard[shard_of(keys[i], static_cast<int>(shards.size()))].push_back(i);
  for (std::size_t s = 0; s < shards.size(); ++s) {
    if (of_shard[s].empty()) continue;
    const std::string& p = shards[s].prefix;
    std::vector<std::string> names;
    names.reserve(2 * of_shard[s].size());
    Command command{"MGET"};
    for (std::size_t i : of_shard[s]) {
      command.arg(names.emplace_back(p + ":m:" + keys[i]));
      command.arg(names.emplace_back(p + ":v:" + keys[i]));
    }
    Reply reply = run(p, command, Access::Read);
    for (std::size_t j = 0; j < of_shard[s].size(); ++j) {
      records[of_shard[s][j]] =
          decode(&element_of(*reply, 2 * j, "MGET"), &element_of(*reply, 2 * j + 1, "MGET"), p,
                 now_ms, with_tags);
    }
  }
  return records;
}

std::optional<StoredRecord> RedisBackend::get(std::string_view ns, std::string_view key,
                                              std::int64_t now_ms, bool with_tags) {
  return read(ns, key, now_ms, true, with_tags);
}

std::optional<RecordMeta> RedisBackend::get_meta(std::string_view ns, std::string_view key,
                                                 std::int64_t now_ms) {
  auto record = read(ns, key, now_ms, false, true);
  if (!record) return std::nullopt;
  return std::move(record->meta);
}

KeyPage RedisBackend::scan(std::string_view ns, std::string_view prefix_of_keys,
                           std::string_view cursor, std::size_t limit, std::int64_t now_ms) {
  KeyPage page;
  if (limit == 0) return page;
  auto [min, max] = lex_bounds(prefix_of_keys, cursor);
  // Each shard's first `limit` keys hold the first `limit` of all: merged, they are exact.
  bool more = false;
  std::vector<Layout> shards = layouts(ns);
  for (const Layout& shard : shards) {
    Command args{shard.prefix, min, max};
    args.arg(static_cast<std::int64_t>(limit)).arg(now_ms);
    Reply reply = scan_script_.run(*dispatcher_, shard.prefix, Access::Read, 1, args);
    std::size_t n = array_size(*reply, "scan");
    for (std::size_t i = 0; i < n && i < limit; ++i)
      page.keys.emplace_back(string_of(element_of(*reply, i, "scan"), "key"));
    more = more || n > limit;
  }
  if (shards.size() > 1) std::sort(page.keys.begin(), page.keys.end());
  if (page.keys.size() > limit) {
    page.keys.resize(limit);
    more = true;
  }
  if (more) page.next_cursor = page.keys.back();
  return page;
}

std::size_t RedisBackend::count(std::string_view ns, std::int64_t now_ms) {
  std::size_t live = 0;
  for (const Layout& shard : layouts(ns)) {
    Command total{"ZCARD", shard.prefix + ":k"};
    Command expired{"ZCOUNT", shard.prefix + ":x", "-inf"};
    expired.arg(now_ms);
    auto replies = dispatcher_->run_reads(shard.prefix, {&total, &expired});
    live += static_cast<std::size_t>(integer_of(*replies[0], "ZCARD") -
                                     integer_of(*replies[1], "ZCOUNT"));
  }
  return live;
}

std::size_t RedisBackend::sweep(std::string_view ns) {
  std::size_t removed = 0;
  for (const Layout& shard : layouts(ns))
    removed += sweep_shard(shard.prefix);
  return removed;
}

std::size_t RedisBackend::sweep_shard(const std::string& p) {
  Command args{p};
  args.arg(kSweepChunk).arg(static_cast<std::int64_t>(tombstone_retention_.count()));
  std::size_t removed = 0;
  for (;;) {
    Reply reply = sweep_script_.run(*dispatcher_, p, Access::Write, 1, args);
    auto n = integer_of(*reply, "sweep");
    removed += static_cast<std::size_t>(n);
    if (n < kSweepChunk) return removed;
  }
}

std::size_t RedisBackend::shards_per_script(std::size_t shards) const {
  return dispatcher_->is_cluster() ? 1 : shards;
}

std::size_t RedisBackend::clear(std::string_view ns, std::int64_t now_ms) {
  std::vector<Layout> shards = layouts(ns, true);
  const std::size_t per_script = shards_per_script(shards.size());
  std::size_t live = 0;
  for (std::size_t first = 0; first < shards.size(); first += per_script) {
    Command args;
    for (std::size_t s = first; s < first + per_script; ++s)
      args.arg(shards[s].prefix);
    args.arg(now_ms);
    Reply reply =
        clear_script_.run(*dispatcher_, shards[first].prefix, Access::Write, per_script, args);
    live += static_cast<std::size_t>(integer_of(*reply, "clear"));
  }
  return live;
}

BackendStats RedisBackend::stats() {
  BackendStats s;
  s.backend = "redis";
  s.pool = dispatcher_->pool_stats();
  return s;
}

}  // namespace nadb::backends::redis

namespace nadb::backends {

std::shared_ptr<StorageBackend> open_redis_backend(const Options& options) {
  // One backend (and pool) per server, db and settings in a process, like the other backends:
  // stores that differ in any setting (a timeout, wait_replicas) get their own. The pid is
  // part of the name: a forked child must not share its parent's connections.
  static std::mutex mutex;
  static std::unordered_map<std::string, std::weak_ptr<redis::RedisBackend>> open;
  const RedisOptions r = redis::resolved(options);  // InvalidArgument before anything is shared
  std::string id;  // every field length-prefixed: "p/q"+"r" and "p"+"q/r" must differ
  auto add = [&id](std::string_view field) {
    id += std::to_string(field.size()) + ':';
    id += field;
  };
  for (const std::string* field :
       {&r.host, &r.username, &r.password, &r.key_prefix, &options.db, &r.tls_ca_file,
        &r.tls_cert_file, &r.tls_key_file, &r.tls_server_name})
    add(*field);
  add(std::to_string(r.seed_nodes.size()));
  for (const std::string& seed : r.seed_nodes)
    add(seed);
  for (std::int64_t setting :
       {std::int64_t{r.cluster}, std::int64_t{r.tls}, std::int64_t{r.port},
        std::int64_t{r.database}, std::int64_t{::getpid()}, std::int64_t{r.wait_replicas},
        std::int64_t{r.wait_timeout.count()}, std::int64_t{r.connect_timeout.count()},
        std::int64_t{r.socket_timeout.count()}, static_cast<std::int64_t>(r.pool_size),
        std::int64_t{r.pool_wait_timeout.count()}, std::int64_t{r.health_check_interval.count()},
        std::int64_t{r.tombstone_retention.count()}, std::int64_t{r.shards},
        static_cast<std::int64_t>(r.max_request_bytes)}) {
    add(std::to_string(setting));
  }
  std::lock_guard lock(mutex);
  auto backend = open[id].lock();
  if (!backend) {
    backend = std::make_shared<redis::RedisBackend>(options);
    open[id] = backend;
  }
  backend->insist_on_shard_count(options.ns);  // the store's own namespace: its count
  return backend;
}

}  // namespace nadb::backends
