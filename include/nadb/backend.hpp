// The storage backend contract, for writers of custom backends. Applications use
// KeyValueStore; a backend stores encoded records and applies WriteBatches atomically. A new
// backend implements StorageBackend's core, declares its facets (backend_facets.hpp), and is
// proven by adding its factory to the backend conformance kit (tests/backend/).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "nadb/backend_facets.hpp"
#include "nadb/capabilities.hpp"
#include "nadb/options.hpp"
#include "nadb/query.hpp"
#include "nadb/stats.hpp"
#include "nadb/types.hpp"

namespace nadb {

// How a stored value is encoded; kept in the record header, never in the value bytes.
enum class ValueCodec : std::uint8_t { None = 0, Zstd = 1, Zlib = 2 };

// The namespace where stores keep their compression dictionaries (Options::
// dictionary_value_limit): a name no store can open ('@'), which a backend stores like any
// other; backups and restores carry it, logical ones and listings of an application's
// namespaces leave it out.
inline constexpr std::string_view kDictionaryNamespace = "@dictionaries";
// Whether ns holds an application's keys, not a store's own records.
inline bool is_user_namespace(std::string_view ns) {
  return ns != kDictionaryNamespace;
}

// Everything a backend keeps about a key besides its value. Times are ms since the Unix epoch.
struct RecordMeta {
  std::vector<std::string> tags;  // sorted, no duplicates
  std::uint64_t version = 0;
  std::int64_t created_ms = 0;
  std::int64_t updated_ms = 0;
  std::int64_t expires_ms = 0;  // 0: never expires
  std::uint64_t raw_size = 0;
  std::uint64_t stored_size = 0;
  ValueCodec codec = ValueCodec::None;
};

struct StoredRecord {
  std::string value;  // stored (possibly compressed) bytes
  RecordMeta meta;
};

// One operation of a WriteBatch.
struct WriteOp {
  enum class Kind : std::uint8_t {
    Put,     // store value, tags and expiry (replacing all three)
    Remove,  // delete the key if it is live
    Expire,  // set the expiry of a live key (0 removes it), keeping value and tags
    Check,   // write nothing; only its condition counts
    // Namespace-wide ops (ns only; the key is empty). Each is alone in its batch.
    Clear,          // delete every key of ns
    RemoveExpired,  // delete the keys of ns expired at the batch's now_ms
  };
  enum class Condition : std::uint8_t {
    None,
    Absent,   // the key must not be live
    Version,  // the key must be live with version expected_version
  };

  Kind kind = Kind::Put;
  std::string ns;
  std::string key;
  std::string value;  // Put: stored bytes
  ValueCodec codec = ValueCodec::None;
  std::uint64_t raw_size = 0;
  std::vector<std::string> tags;  // Put: sorted, no duplicates
  std::int64_t expires_ms = 0;    // Put, Expire
  Condition condition = Condition::None;
  std::uint64_t expected_version = 0;

  // Whether the condition holds for the key's state before the batch: live_version is the
  // version of the live key, or nullopt when the key is not live.
  bool condition_holds(std::optional<std::uint64_t> live_version) const {
    switch (condition) {
      case Condition::None:
        return true;
      case Condition::Absent:
        return !live_version;
      case Condition::Version:
        return live_version && *live_version == expected_version;
    }
    return false;
  }
};

// A Put that writes record to ns/key again exactly as it is stored (its bytes, codec, tags and
// expiry): what copies between namespaces and backends write.
inline WriteOp put_of_stored(std::string ns, std::string key, StoredRecord record) {
  WriteOp op;
  op.ns = std::move(ns);
  op.key = std::move(key);
  op.value = std::move(record.value);
  op.codec = record.meta.codec;
  op.raw_size = record.meta.raw_size;
  op.tags = std::move(record.meta.tags);
  op.expires_ms = record.meta.expires_ms;
  return op;
}

// The one write primitive: every op is applied, in order, or none is (when a condition fails).
struct WriteBatch {
  std::vector<WriteOp> ops;
  std::int64_t now_ms = 0;  // the write's timestamp; also decides what counts as expired
  bool sync = false;        // durable (fsynced) before apply returns
};

struct OpResult {
  bool existed = false;       // the key was live before the batch
  std::uint64_t version = 0;  // version written (0 if the op wrote nothing)
  // Clear: how many live keys there were; RemoveExpired: how many expired keys went.
  std::size_t removed = 0;
};

struct BatchResult {
  bool applied = true;  // false: the condition of ops[failed_op] failed, nothing was written
  std::size_t failed_op = 0;
  std::vector<OpResult> ops;  // one per op of the batch
};

// The latest expiry instant a backend must store (9999-12-31T23:59:59.999Z, in ms): below
// 2^53, so that every backend (and a double-precision score) holds it exactly.
inline constexpr std::int64_t kMaxExpiresMs = 253402300799999;

// The core every backend implements. Thread-safety: every member may be called from many
// threads at once. Reads never see a partially applied batch. Times passed in are the caller's
// clock (ms since the Unix epoch). Optional parts are declared by facets().
class StorageBackend {
 public:
  virtual ~StorageBackend() = default;

  virtual const BackendCapabilities& capabilities() const = 0;
  // The optional parts this backend offers (backend_facets.hpp). The default: none.
  virtual BackendFacets facets() { return {}; }
  // Applies the batch atomically (see WriteBatch): every mutation of a backend's data is a
  // batch. Throws InvalidArgument for a batch breaking the rules of check_batch_rules (nothing
  // written), IOError/BackendUnavailable when it could not be made as durable as asked; the
  // batch is then not acknowledged.
  virtual BatchResult apply(const WriteBatch& batch) = 0;
  // The live record of (ns, key): nullopt when missing or expired at now_ms. meta.tags is
  // filled only when with_tags (a read of the value alone need not copy them).
  virtual std::optional<StoredRecord> get(std::string_view ns, std::string_view key,
                                          std::int64_t now_ms, bool with_tags) = 0;
  // get of each key, in order. The default calls get per key; a remote backend reads them
  // all in one round trip.
  virtual std::vector<std::optional<StoredRecord>> get_many(std::string_view ns,
                                                            const std::vector<std::string>& keys,
                                                            std::int64_t now_ms, bool with_tags) {
    std::vector<std::optional<StoredRecord>> records;
    records.reserve(keys.size());
    for (const auto& key : keys)
      records.push_back(get(ns, key, now_ms, with_tags));
    return records;
  }
  // The batch group of ns that key belongs to: a batch whose ops fall in different groups (or
  // namespaces) may be refused whole with NotSupported by a backend that cannot apply it
  // atomically (a sharded namespace on a Redis Cluster); one confined to a group never is.
  // Replays (restores, imports, syncs) batch by it. The default: 0, one group per namespace.
  // A remote backend may ask its server (once per namespace) and throw what a read throws.
  virtual std::uint32_t batch_group(std::string_view /*ns*/, std::string_view /*key*/) const {
    return 0;
  }
  // Like get without the value bytes (no value I/O).
  virtual std::optional<RecordMeta> get_meta(std::string_view ns, std::string_view key,
                                             std::int64_t now_ms) = 0;
  // Live keys of ns starting with prefix, greater than cursor, in key byte order.
  virtual KeyPage scan(std::string_view ns, std::string_view prefix, std::string_view cursor,
                       std::size_t limit, std::int64_t now_ms) = 0;
  // Number of live keys of ns.
  virtual std::size_t count(std::string_view ns, std::int64_t now_ms) = 0;
  // Names of the namespaces that have keys.
  virtual std::vector<std::string> namespaces() = 0;
  // Makes every applied batch durable.
  virtual void flush() = 0;
  // Reclaims the space of dead records (a no-op report where there is nothing to reclaim),
  // reporting the bytes of segments processed to progress (when set).
  virtual CompactionReport compact(const ProgressCallback& progress) = 0;
  // What the backend reports about its storage (stats.hpp; fields it does not have stay 0).
  virtual BackendStats stats() = 0;

  // A read-only view catches up with what the data's writer has made durable since it was
  // opened or last refreshed (Options::read_only). Others are always current: the default
  // does nothing.
  virtual void refresh() {}
  // Names the data this backend holds: two backends whose identities are equal and non-empty
  // hold the same data, whatever options (paths, host names) opened them. sync_to refuses
  // to copy a namespace onto itself by it. The default, "", claims nothing.
  virtual std::string identity() { return ""; }
};

// The rules every backend enforces on a WriteBatch before applying it (InvalidArgument,
// nothing written): an Expire op may not name a key an earlier op of the batch writes (the
// expiry would apply to a record the batch has not made yet); expiry instants lie in
// [0, kMaxExpiresMs]; a Clear or RemoveExpired op is the batch's only op and has no
// condition; the batch carries at most max_batch_bytes (as op_bytes counts them).
void check_batch_rules(const WriteBatch& batch, std::uint64_t max_batch_bytes);
// What a batch op carries, as check_batch_rules counts it.
std::uint64_t op_bytes(const WriteOp& op);

using BackendFactory = std::function<std::shared_ptr<StorageBackend>(const Options&)>;

// Creates backends by name. "fs", "memory" and "redis" are built in.
class StorageFactory {
 public:
  // Adds or replaces a backend. Thread-safe.
  static void register_backend(const std::string& name, BackendFactory factory);
  // Opens options.backend for options.db. Backends of one db are shared by the stores of one
  // process. Throws InvalidArgument for an unknown name, or what the backend throws.
  static std::shared_ptr<StorageBackend> create(const Options& options);
};

}  // namespace nadb
