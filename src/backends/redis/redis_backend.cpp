#include "backends/redis/redis_backend.hpp"

#include <unistd.h>
#include <mutex>
#include <set>
#include <unordered_map>

#include "backends/redis/cluster/cluster_router.hpp"
#include "backends/redis/cluster/key_slot.hpp"
#include "backends/redis/lua_sources.hpp"
#include "backends/redis/metadata.hpp"
#include "backends/redis/redis_url.hpp"
#include "backends/redis/server_dispatcher.hpp"
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

RedisBackend::Layout RedisBackend::layout(std::string_view ns) const {
  std::size_t slash = ns.find('/');
  std::string base =
      dispatcher_->options().key_prefix + ":{" + db_ + ":" + std::string(ns.substr(0, slash)) + "}";
  if (slash == std::string_view::npos) return {base, base + ":gen", std::string(ns), ""};
  std::string token(ns.substr(slash + std::string_view("/restore-").size()));
  return {base + ":r:" + token, base + ":gen", "", token};
}

std::string RedisBackend::registry_key() const {
  return dispatcher_->options().key_prefix + ":{" + db_ + "}:namespaces";
}

Command RedisBackend::encode_batch(const WriteBatch& batch, std::vector<std::string>& keys,
                                   std::vector<std::string>& names) const {
  std::unordered_map<std::string_view, std::int64_t> index_of;  // ns -> index (1-based)
  std::vector<Layout> layouts;
  for (const WriteOp& op : batch.ops) {
    if (index_of.emplace(op.ns, layouts.size() + 1).second) layouts.push_back(layout(op.ns));
  }
  if (dispatcher_->is_cluster()) {  // one slot per namespace: compared once each
    for (const auto& [ns, index] : index_of) {
      if (cluster::key_slot(layouts[static_cast<std::size_t>(index - 1)].prefix) !=
          cluster::key_slot(layouts[0].prefix)) {
        throw NotSupported("a batch over namespaces '" + std::string(batch.ops[0].ns) + "' and '" +
                           std::string(ns) +
                           "' on a Redis Cluster: they are in different hash slots, and one "
                           "script runs in one slot; write each namespace in its own batch");
      }
    }
  }
  for (const auto& l : layouts)
    keys.push_back(l.prefix);
  for (const auto& l : layouts)
    keys.push_back(l.generation);
  for (const auto& l : layouts) {
    if (!l.registered.empty()) names.push_back(l.registered);
  }
  Command command;
  for (const auto& k : keys)
    command.arg(k);
  command.arg(batch.now_ms)
      .arg(static_cast<std::int64_t>(batch.ops.size()))
      .arg(static_cast<std::int64_t>(layouts.size()));
  for (const WriteOp& op : batch.ops) {
    std::int64_t ns_index = index_of.at(op.ns);
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
  if (integer_of(element_of(*reply, 1 + 2 * batch.ops.size(), "apply"), "fresh") != 0)
    register_namespaces(names, true);
  return result;
}

std::optional<StoredRecord> RedisBackend::decode(const redisReply* meta_reply,
                                                 const redisReply* value_reply, std::string_view ns,
                                                 std::int64_t now_ms, bool with_tags) {
  if (is_nil(*meta_reply)) return std::nullopt;
  StoredRecord record;
  record.meta = unpack_metadata(string_of(*meta_reply, "metadata"), with_tags);
  const RecordMeta& meta = record.meta;
  if (meta.expires_ms != 0 && meta.expires_ms <= now_ms) {
    sweep(ns);  // lazily: a read that meets an expired key sweeps
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
  std::string p = prefix(ns);
  std::string meta_key = p + ":m:" + std::string(key);
  std::string value_key = p + ":v:" + std::string(key);
  Command command{"MGET", meta_key};
  if (with_value) command.arg(value_key);
  Reply reply = run(p, command, Access::Read);
  return decode(&element_of(*reply, 0, "MGET"),
                with_value ? &element_of(*reply, 1, "MGET") : nullptr, ns, now_ms, with_tags);
}

std::vector<std::optional<StoredRecord>> RedisBackend::get_many(
    std::string_view ns, const std::vector<std::string>& keys, std::int64_t now_ms,
    bool with_tags) {
  std::vector<std::optional<StoredRecord>> records;
  if (keys.empty()) return records;
  std::string p = prefix(ns);
  std::vector<std::string> names;
  names.reserve(2 * keys.size());
  Command command{"MGET"};
  for (const auto& key : keys) {
    command.arg(names.emplace_back(p + ":m:" + key));
    command.arg(names.emplace_back(p + ":v:" + key));
  }
  Reply reply = run(p, command, Access::Read);
  records.reserve(keys.size());
  for (std::size_t i = 0; i < keys.size(); ++i) {
    records.push_back(decode(&element_of(*reply, 2 * i, "MGET"),
                             &element_of(*reply, 2 * i + 1, "MGET"), ns, now_ms, with_tags));
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
  std::string p = prefix(ns);
  Command args{p, min, max};
  args.arg(static_cast<std::int64_t>(limit)).arg(now_ms);
  Reply reply = scan_script_.run(*dispatcher_, p, Access::Read, 1, args);
  std::size_t n = array_size(*reply, "scan");
  for (std::size_t i = 0; i < n && i < limit; ++i)
    page.keys.emplace_back(string_of(element_of(*reply, i, "scan"), "key"));
  if (n > limit) page.next_cursor = page.keys.back();
  return page;
}

std::size_t RedisBackend::count(std::string_view ns, std::int64_t now_ms) {
  std::string p = prefix(ns);
  std::string keys = p + ":k", expiry = p + ":x";
  Command total{"ZCARD", keys};
  Command expired{"ZCOUNT", expiry, "-inf"};
  expired.arg(now_ms);
  auto replies = dispatcher_->run_reads(p, {&total, &expired});
  return static_cast<std::size_t>(integer_of(*replies[0], "ZCARD") -
                                  integer_of(*replies[1], "ZCOUNT"));
}

std::size_t RedisBackend::sweep(std::string_view ns) {
  std::string p = prefix(ns);
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

std::size_t RedisBackend::clear(std::string_view ns, std::int64_t now_ms) {
  std::string p = prefix(ns);
  Command args{p};
  args.arg(now_ms);
  Reply reply = clear_script_.run(*dispatcher_, p, Access::Write, 1, args);
  return static_cast<std::size_t>(integer_of(*reply, "clear"));
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
  static std::unordered_map<std::string, std::weak_ptr<StorageBackend>> open;
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
        std::int64_t{r.tombstone_retention.count()},
        static_cast<std::int64_t>(r.max_request_bytes)}) {
    add(std::to_string(setting));
  }
  std::lock_guard lock(mutex);
  if (auto existing = open[id].lock()) return existing;
  auto backend = std::make_shared<redis::RedisBackend>(options);
  open[id] = backend;
  return backend;
}

}  // namespace nadb::backends
