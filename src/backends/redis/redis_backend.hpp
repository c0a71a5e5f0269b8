// RedisBackend: every namespace is a group of Redis keys under one hash tag (layout in
// lua/common.lua); every write is one Lua script, so it is atomic on the server; reads are
// one round trip. Durability is the server's own (AOF/RDB), never more, and with
// RedisOptions::wait_replicas, its replicas' confirmation. On a Redis Cluster each namespace
// is one slot, on that slot's master (the Dispatcher finds it) — or, with RedisOptions::shards,
// each shard of a namespace is (redis_shards.cpp): reads of a key go to its shard, reads of a
// namespace to every shard, merged.
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "backends/redis/dispatcher.hpp"
#include "backends/redis/script.hpp"
#include "nadb/backend.hpp"
#include "nadb/errors.hpp"
#include "util/thread_annotations.hpp"

namespace nadb::backends::redis {

// options.redis with its URL applied, checked: InvalidArgument naming a bad setting.
RedisOptions resolved(const Options& options);

// The exclusive ZRANGEBYLEX upper bound of the keys starting with prefix ("+": no bound).
std::string lex_upper_bound(std::string_view prefix);

class RedisBackend final : public StorageBackend,
                           public ChangeLog,
                           public StagingArea,
                           public ServerQueries {
 public:
  // Throws InvalidArgument for bad RedisOptions; connects lazily (the first operation may
  // throw BackendUnavailable). On a cluster, a batch over namespaces of different slots is
  // NotSupported (a script runs in one slot).
  explicit RedisBackend(const Options& options);

  const BackendCapabilities& capabilities() const override { return capabilities_; }
  BackendFacets facets() override {
    return {.change_log = this, .staging_area = this, .server_queries = this};
  }
  // lua/apply.lua; a Clear batch is lua/clear.lua, a RemoveExpired batch lua/sweep.lua.
  BatchResult apply(const WriteBatch& batch) override;
  std::optional<StoredRecord> get(std::string_view ns, std::string_view key, std::int64_t now_ms,
                                  bool with_tags) override;
  // One pipelined round trip for all keys (per shard).
  std::vector<std::optional<StoredRecord>> get_many(std::string_view ns,
                                                    const std::vector<std::string>& keys,
                                                    std::int64_t now_ms, bool with_tags) override;
  std::optional<RecordMeta> get_meta(std::string_view ns, std::string_view key,
                                     std::int64_t now_ms) override;
  KeyPage scan(std::string_view ns, std::string_view prefix, std::string_view cursor,
               std::size_t limit, std::int64_t now_ms) override;
  std::size_t count(std::string_view ns, std::int64_t now_ms) override;
  // The shard of key (redis_shards.cpp): on a cluster, a batch over keys of different shards
  // is NotSupported.
  std::uint32_t batch_group(std::string_view ns, std::string_view key) const override;
  // Makes ns a namespace whose recorded shard count must be RedisOptions::shards (a store is
  // open on it: InvalidArgument at its first use otherwise). Other namespaces of the db are
  // used with their own recorded counts (backups, restores, syncs of the db). Thread-safe.
  void insist_on_shard_count(std::string_view ns);
  // Redis persists by its own policy; there is nothing to flush from here.
  void flush() override {}
  // Redis reclaims its own memory: an empty report.
  CompactionReport compact(const ProgressCallback&) override { return {}; }
  BackendStats stats() override;
  // redis_namespaces.cpp. Namespaces ever written, from the db's registry, which every write
  // adds its namespace to (never discovered by a pattern over keys: keys are user data).
  // A flushed namespace stays listed, so that its deletes reach an incremental backup.
  std::vector<std::string> namespaces() override;
  // The server's run_id (INFO server), the database, the key prefix and the db: the same
  // for every client of that data, however they name the server. On a cluster, whose nodes
  // come and go, the run_id is replaced by a random id kept in the db's own key.
  std::string identity() override;
  // ChangeLog: from the updated-at index (P:u) and the tombstones (P:d).
  ChangeSet changes_since(std::string_view ns, std::int64_t since_ms) override;
  // The server's clock (TIME): the change index is stamped with it.
  std::int64_t change_clock_ms() override;
  // StagingArea: a staging namespace is "<ns>/restore-<token>" ('/' is not allowed in namespace
  // names): its keys live under <prefix of ns>:r:<token>, in ns's Cluster slot.
  std::string create_staging(std::string_view ns) override;
  // lua/swap.lua: one script, O(keys of both), over every shard of a sharded namespace on one
  // server (atomic as a whole), one per shard on a cluster (atomic per shard only).
  void swap_in_staging(std::string_view ns, std::string_view staging) override;
  void drop_staging(std::string_view ns, std::string_view staging) override;

  // ServerQueries (redis_query.cpp).
  ServerQueryPage query(std::string_view ns, const Query& q, std::size_t page,
                        std::size_t page_size, std::int64_t now_ms) override;
  std::uint64_t write_generation(std::string_view ns) override;
  std::map<std::string, std::size_t> tag_counts(std::string_view ns, std::int64_t now_ms) override;

 private:
  // Where a namespace's (or one shard's) keys are: a namespace layout of lua/common.lua.
  struct Layout {
    // "<key_prefix>:{<db>:<ns>}", or "<key_prefix>:{<db>:<ns>:<shard>}" when sharded
    // (+ ":r:<token>" when staging)
    std::string prefix;
    std::string generation;  // the key its versions come from: <prefix of ns or shard>:gen
    std::string registered;  // the name the registry lists; empty for a staging namespace
    std::string token;       // a staging namespace's token
    std::string name;        // for errors: "namespace 'n'" or "shard 2 of namespace 'n'"
  };
  // redis_shards.cpp. The layout of shard `shard` of ns, a namespace of `count` shards.
  Layout shard_layout(std::string_view ns, int count, std::uint32_t shard) const;
  // The layout of key's shard of ns, and of every shard of ns (shard_count(ns, writing)).
  Layout layout(std::string_view ns, std::string_view key, bool writing = false);
  std::vector<Layout> layouts(std::string_view ns, bool writing = false);
  // The shard count of ns (or of a staging namespace's ns): the one recorded at
  // <key_prefix>:{<db>:<ns>}:shards (1 for data from before records), remembered; or shards_
  // for a namespace never written, recorded first when writing. InvalidArgument when ns is a
  // namespace a store of this backend was opened on (insist_on_shard_count) and its count is
  // not shards_; Corruption when sharded data lost its record.
  int shard_count(std::string_view ns, bool writing) const;
  int read_shard_count(std::string_view name, bool writing) const;
  // shard_count(ns, true) again, as if never asked: after apply.lua created a generation key
  // (a namespace wiped by hand may have lost its record too).
  void recheck_shard_count(const std::string& ns);
  // Deletes the keys of ns expired by the server's clock (lua/sweep.lua); returns how many.
  // Expiry is decided by the server's clock here, not the caller's: a client whose clock runs
  // ahead must not delete keys that others still see.
  std::size_t sweep(std::string_view ns);
  std::size_t sweep_shard(const std::string& prefix);
  // Deletes every key of ns (lua/clear.lua, per shard); returns how many were live at now_ms.
  std::size_t clear(std::string_view ns, std::int64_t now_ms);
  // How many of a namespace's `shards` one script covers: all of them on one server (a clear
  // or a restore's swap is then one atomic step), one on a cluster (each shard is a slot).
  std::size_t shards_per_script(std::size_t shards) const;
  // "<key_prefix>:{<db>}:namespaces": the set of namespaces ever written.
  std::string registry_key() const;
  // Adds the batch's namespaces this backend has not registered yet to the registry, before
  // the batch writes them (so a crash can never leave a written namespace unlisted). It checks
  // again (one read) when the last check is a minute old — on a cluster the registry is on
  // another master, whose failover may lose an entry its replica never got — and at once
  // (again: true) when apply.lua says a namespace's generation key was created, which is a
  // namespace wiped by hand (its registry may be gone too).
  void register_namespaces(const std::vector<std::string>& names, bool again);
  // Registers the namespaces of a db written before the registry existed (once per db). Not
  // on a cluster: no NADB without the registry could write to one.
  void register_old_namespaces();
  // Runs one command with the keys of prefix (routing_key).
  Reply run(std::string_view routing_key, const Command& command, Access access) {
    return dispatcher_->run(routing_key, command, access);
  }
  // The arguments of lua/apply.lua for batch (KEYS: the namespaces' prefixes and generation
  // keys, collected in keys; names: the namespaces to register). InvalidArgument when the
  // request would exceed Redis's limit, NotSupported when a cluster cannot run it.
  Command encode_batch(const WriteBatch& batch, std::vector<std::string>& keys,
                       std::vector<std::string>& names);
  std::optional<StoredRecord> read(std::string_view ns, std::string_view key, std::int64_t now_ms,
                                   bool with_value, bool with_tags);
  // The record of a key's metadata and (when value_reply is not null) value replies;
  // nullopt when it is missing or expired (which sweeps the shard of prefix).
  std::optional<StoredRecord> decode(const redisReply* meta_reply, const redisReply* value_reply,
                                     const std::string& prefix, std::int64_t now_ms,
                                     bool with_tags);
  // One shard's page of lua/query.lua: count keys from offset (-1: all).
  struct QueryPart {
    std::size_t total = 0;
    std::uint64_t generation = 0;
    std::int64_t next_expiry_ms = 0;
    std::vector<std::string> keys;
  };
  QueryPart query_shard(const std::string& prefix, const Query& q, std::int64_t offset,
                        std::int64_t count, std::int64_t now_ms);
  // Drops the staging area source of one shard target (lua/drop.lua until it is gone).
  void drop_staging_shard(const Layout& target, const Layout& source);

  BackendCapabilities capabilities_;
  const std::string db_;
  const std::chrono::milliseconds tombstone_retention_;
  const std::unique_ptr<Dispatcher> dispatcher_;
  const int shards_;
  const Script apply_script_;
  const Script sweep_script_;
  const Script clear_script_;
  const Script scan_script_;
  const Script query_script_;
  const Script swap_script_;
  const Script drop_script_;
  std::atomic<bool> old_namespaces_registered_{false};

  // Guarded by registered_mutex_.
  util::Mutex registered_mutex_;
  // Namespace -> when the registry was last seen to list it.
  std::map<std::string, std::chrono::steady_clock::time_point, std::less<>> registered_
      GUARDED_BY(registered_mutex_);

  // Guarded by shard_count_mutex_ (mutable: shard_count is a lookup with a cache).
  mutable util::Mutex shard_count_mutex_;
  // Namespace -> its recorded shard count, once read.
  mutable std::map<std::string, int, std::less<>> shard_counts_ GUARDED_BY(shard_count_mutex_);
  // The namespaces stores of this backend were opened on.
  std::set<std::string, std::less<>> own_namespaces_ GUARDED_BY(shard_count_mutex_);
};

}  // namespace nadb::backends::redis
