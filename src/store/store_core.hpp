// StoreCore: the state behind a KeyValueStore (the pimpl), and the helpers its operations
// share: lifecycle, timing, encoding of writes and decoding of reads.
#pragma once

#include <array>
#include <atomic>
#include <cassert>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <unordered_map>

#include "backup/jsonl.hpp"
#include "index/query_cache.hpp"
#include "index/tag_index.hpp"
#include "nadb/backend.hpp"
#include "nadb/options.hpp"
#include "nadb/sync.hpp"
#include "obs/histogram.hpp"
#include "store/dictionaries.hpp"
#include "txn/transaction_host.hpp"
#include "txn/transaction_registry.hpp"
#include "util/clock.hpp"
#include "util/thread_annotations.hpp"

namespace nadb::store {

enum class StoreOp : std::size_t {
  Set,
  Get,
  Remove,
  Exists,
  Metadata,
  BatchSet,
  MultiGet,
  BatchRemove,
  Ttl,
  Expire,
  Persist,
  SetIfAbsent,
  CompareAndSet,
  Increment,
  Scan,
  Flush,
  Flushdb,
  CleanupExpired,
  Compact,
  QueryByTags,
  QueryByTagsAdvanced,
  ComplexQuery,
  RunQuery,
  ListAllTags,
  OptimizeIndexes,
  RebuildIndexes,
  kCount
};

const char* store_op_name(StoreOp op);
// Whether op changes what is stored (refused on a read-only store).
bool store_op_writes(StoreOp op);

class StoreCore final : public txn::TransactionHost {
 public:
  explicit StoreCore(Options options);

  // Runs fn under the lifecycle lock (shared), timing it as op. Throws InvalidArgument when
  // the store is closed, NotSupported for a write on a read-only store (before anything is
  // looked at: a write that would change nothing is refused too).
  template <typename F>
  auto run(StoreOp op, F&& fn) -> decltype(fn()) {
    auto lock = use();
    if (options_.read_only && store_op_writes(op)) check_writable(store_op_name(op));
    bool failed = true;
    struct Record {  // records the latency (in clock ticks) however fn ends
      obs::Histogram& histogram;
      std::uint64_t start;
      bool& failed;
      ~Record() { histogram.record(util::ticks() - start, failed); }
    } record{histograms_[static_cast<std::size_t>(op)], util::ticks(), failed};
    if constexpr (std::is_void_v<decltype(fn())>) {
      fn();
      failed = false;
    } else {
      auto result = fn();
      failed = false;
      return result;
    }
  }

  // A Put of value with these tags and TTL, compressed as configured.
  WriteOp make_put(std::string_view key, std::string_view value,
                   const std::vector<std::string>& tags, std::optional<std::chrono::seconds> ttl,
                   std::int64_t now_ms);
  // Sets op's value, codec and raw size to value encoded as configured.
  void encode_value(WriteOp& op, std::string_view value);
  // A Put of an entry from outside (import, restore, sync): raw value, absolute expiry.
  // InvalidArgument for a bad key, value, tag or expiry instant.
  WriteOp make_entry_put(const backup::JsonlEntry& entry, std::int64_t now_ms);
  // set(): one Put applied as its own batch.
  void put(std::string_view key, std::string_view value, const std::vector<std::string>& tags,
           std::optional<std::chrono::seconds> ttl);
  WriteOp make_op(WriteOp::Kind kind, std::string_view key) const;
  // Applies ops with the store's durability. Caller holds the lifecycle lock (asserted in debug
  // builds, as by every *_locked member).
  BatchResult apply(std::vector<WriteOp> ops, std::int64_t now_ms);
  BatchResult apply_locked(std::vector<WriteOp> ops, std::int64_t now_ms, bool sync);
  // Hands the values of ns that ops wrote to the dictionaries as training samples, until ns
  // has a dictionary: only values written, never those of a refused or rolled-back write.
  void offer_samples(const std::vector<WriteOp>& ops);
  // Applies a Clear or RemoveExpired batch to the namespace; returns how many keys went.
  // Caller holds the lifecycle lock.
  std::size_t remove_keys(WriteOp::Kind kind, bool sync);
  // Whether the store's durability makes every write durable before it returns: the one place
  // Options::durability becomes a sync decision.
  bool sync_writes() const override { return options_.durability == Durability::Sync; }
  Metadata to_metadata(std::string_view key, const RecordMeta& meta) const;

  // Attaches this namespace's index to the backend (the backend keeps it; stores of one
  // namespace share it). Without local indexing in the backend, index_ stays null.
  void attach_index(bool rebuild);
  // page_size that puts every matching key on page 1 (query_by_tags).
  static constexpr std::size_t kEveryKey = ServerQueries::kEveryKey;
  // Evaluates q through the query cache. page_size: 1-100000, or kEveryKey.
  QueryResult run_query(const Query& q, std::size_t page, std::size_t page_size);
  // Evaluates q over the local index (index_ is set).
  ServerQueryPage query_local(const Query& q, std::size_t page, std::size_t page_size,
                              std::int64_t now);
  IndexStats index_stats();
  // The backend's ServerQueries facet; NotSupported when it has none.
  ServerQueries& server_queries() const;

  // TransactionHost: entry points of their own (each takes the lifecycle lock).
  WriteOp stage_put(std::string_view key, std::string_view value,
                    const std::vector<std::string>& tags, std::optional<std::chrono::seconds> ttl,
                    std::int64_t now_ms) override;
  WriteOp stage_remove(std::string_view key) override;
  void check_key(std::string_view key) const override;
  std::optional<StoredRecord> read(std::string_view key, std::int64_t now_ms) override;
  std::string decode(StoredRecord& record) override;
  BatchResult apply_batch(std::vector<WriteOp> ops, std::int64_t now_ms, bool sync) override;
  const Options& options() const override { return options_; }

  // Flush and sweep, called by a KeyValueSync round.
  void background_round(bool sweep, std::uint64_t& expired_removed);
  void close();
  [[noreturn]] static void throw_closed();
  // NotSupported naming operation when the store is read-only (Options::read_only).
  void check_writable(const char* operation) const;
  // The lifecycle lock, held shared for an operation; InvalidArgument if the store is closed.
  // Debug builds: aborts when nobody holds the lifecycle lock (a caller that should).
  void assert_in_use() const {
#ifndef NDEBUG
    if (lifecycle_mutex_.try_lock()) {
      lifecycle_mutex_.unlock();
      assert(false && "the caller must hold the store's lifecycle lock");
    }
#endif
  }
  std::shared_lock<std::shared_mutex> use() const {
    std::shared_lock lock(lifecycle_mutex_);
    if (!backend_) throw_closed();
    return lock;
  }

  const Options options_;
  const std::string name_;
  BackendCapabilities capabilities_;  // a copy: valid for the store's whole life, even closed

  // Guarded by lifecycle_mutex_: shared by operations, exclusive for close().
  mutable std::shared_mutex lifecycle_mutex_;
  std::shared_ptr<StorageBackend> backend_;  // null once closed

  // Guarded by close_mutex_.
  util::Mutex close_mutex_;
  // Options::sync, or this store's own.
  std::shared_ptr<KeyValueSync> sync_ GUARDED_BY(close_mutex_);
  bool owns_sync_ GUARDED_BY(close_mutex_) = false;

  // Set at construction: the namespace's TagIndex (a WriteCounter when indexing is disabled),
  // null when the backend keeps no local index (queries then run in the backend, and the
  // cache is invalidated by the backend's write generation); and this store's query cache.
  std::shared_ptr<index::WriteCounter> index_;
  std::unique_ptr<index::QueryCache> cache_;
  // This namespace's compression dictionary, and every one read to decode (thread-safe).
  std::unique_ptr<ValueDictionaries> dictionaries_;

  // Guarded by tag_stats_mutex_: how often each tag was queried.
  util::Mutex tag_stats_mutex_;
  std::unordered_map<std::string, std::uint64_t> tag_queries_ GUARDED_BY(tag_stats_mutex_);

  std::shared_ptr<txn::TransactionRegistry> transactions_ =
      std::make_shared<txn::TransactionRegistry>();

  // Lock-free metrics.

  std::array<obs::Histogram, static_cast<std::size_t>(StoreOp::kCount)> histograms_;
  std::atomic<std::uint64_t> bytes_written_raw_{0};
  std::atomic<std::uint64_t> bytes_written_stored_{0};
  std::atomic<std::uint64_t> bytes_read_{0};
};

}  // namespace nadb::store
