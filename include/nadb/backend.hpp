// The storage backend contract, for writers of custom backends. Applications use
// KeyValueStore; a backend stores encoded records and applies WriteBatches atomically.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "nadb/options.hpp"
#include "nadb/query.hpp"
#include "nadb/stats.hpp"
#include "nadb/types.hpp"

namespace nadb {

// How a stored value is encoded; kept in the record header, never in the value bytes.
enum class ValueCodec : std::uint8_t { None = 0, Zstd = 1, Zlib = 2 };

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

// The one write primitive: every op is applied, in order, or none is (when a condition fails).
struct WriteBatch {
  std::vector<WriteOp> ops;
  std::int64_t now_ms = 0;  // the write's timestamp; also decides what counts as expired
  bool sync = false;        // durable (fsynced) before apply returns
};

struct OpResult {
  bool existed = false;       // the key was live before the batch
  std::uint64_t version = 0;  // version written (0 if the op wrote nothing)
};

struct BatchResult {
  bool applied = true;  // false: the condition of ops[failed_op] failed, nothing was written
  std::size_t failed_op = 0;
  std::vector<OpResult> ops;  // one per op of the batch
};

struct BackendCapabilities {
  std::string name;
  bool persistent = false;  // data survives close and process exit
  bool shared_by_processes = false;
  bool physical_backups = false;  // has segment files a physical backup can copy
  std::uint64_t max_value_size = 0;
  // The most bytes (keys, values, tags) one WriteBatch may carry: larger batches are
  // InvalidArgument. Replays (restore, merge, import, sync) split themselves well below it.
  std::uint64_t max_batch_bytes = 0;
};

// The latest expiry instant a backend must store (9999-12-31T23:59:59.999Z, in ms): below
// 2^53, so that every backend (and a double-precision score) holds it exactly.
inline constexpr std::int64_t kMaxExpiresMs = 253402300799999;

// What a backend knows of one key, for range conditions (times in ms since the Unix epoch).
struct KeyFacts {
  std::uint64_t size = 0;  // raw value bytes
  std::int64_t created_ms = 0;
  std::int64_t updated_ms = 0;
  std::int64_t expires_ms = 0;  // 0: never
};

// A secondary index of one namespace. The backend reports every change of a key's tags to it
// inside the critical section that changes the data, so the index is never staler than the
// data. Keys are named by dense ids (an id of a deleted key may be reused).
class IndexSink {
 public:
  virtual ~IndexSink() = default;
  // Key `id` changed: before/after are its tags (nullptr: the key was / is now absent).
  virtual void on_change(std::uint32_t id, const std::vector<std::string_view>* before,
                         const std::vector<std::string_view>* after) = 0;
  // Keys `ids` (ascending), absent before, now exist with exactly `tags`: a replay reports
  // each distinct tag set once instead of each key. By default, on_change for every id.
  virtual void on_added(const std::vector<std::string_view>& tags,
                        std::span<const std::uint32_t> ids) {
    for (std::uint32_t id : ids)
      on_change(id, nullptr, &tags);
  }
  // Forget everything (a rebuild replays every key afterwards).
  virtual void clear() = 0;
  // Called after every replay, still inside the critical section: compact what was built.
  virtual void optimize() {}
};

// Reads one namespace's keys by id; valid only inside StorageBackend::read_index. Live ids
// include keys that have expired but are not yet swept (callers filter by expiry).
class KeyIdReader {
 public:
  virtual ~KeyIdReader() = default;
  virtual std::string_view key(std::uint32_t id) const = 0;
  virtual KeyFacts facts(std::uint32_t id) const = 0;
  virtual std::vector<std::string_view> tags(std::uint32_t id) const = 0;
  virtual std::optional<std::uint32_t> find(std::string_view key) const = 0;
  // Calls fn for every live id (any order).
  virtual void for_each(const std::function<void(std::uint32_t)>& fn) const = 0;
  // Calls fn for ids of keys starting with prefix, in key order, until fn returns false.
  virtual void for_each_prefixed(std::string_view prefix,
                                 const std::function<bool(std::uint32_t)>& fn) const = 0;
  // Calls fn for ids whose expiry is at or before now_ms.
  virtual void for_each_expired(std::int64_t now_ms,
                                const std::function<void(std::uint32_t)>& fn) const = 0;
  // The first expiry instant after now_ms, or 0 if no key expires later.
  virtual std::int64_t next_expiry_after(std::int64_t now_ms) const = 0;
};

// One file of a point-in-time snapshot (physical backups). The file stays readable through
// `read` even if the backend deletes it meanwhile.
struct SnapshotFile {
  std::string name;
  std::uint64_t size = 0;
  std::function<void(std::uint64_t offset, std::size_t n, std::string& out)> read;
  // The whole file in memory without a copy (a mapping), or an empty view if there is none.
  std::function<std::string_view()> view;
  // The file's SHA-256 (lowercase hex). A backup reuses a file its parent holds only when
  // this matches: names can repeat across restores and dbs, content cannot.
  std::function<std::string()> sha256;
};

struct Snapshot {
  std::vector<SnapshotFile> files;
  std::map<std::string, std::size_t> keys_by_namespace;  // live keys at the snapshot instant
};

// What changed in a namespace since an instant (logical incremental backups).
struct ChangeSet {
  std::vector<std::string> updated;  // keys written since (live or not now)
  std::vector<std::string> deleted;  // keys deleted since and absent now
  // Deletes before this instant may be forgotten (tombstone retention): a ChangeSet since an
  // earlier instant is incomplete.
  std::int64_t complete_since_ms = 0;
};

// A page of a server-side query, with what a cache needs to know to keep it.
struct ServerQueryPage {
  QueryResult result;
  std::uint64_t generation = 0;     // write_generation(ns) the page was computed at
  std::int64_t valid_until_ms = 0;  // the first later expiry in ns (0: none)
};

// Thread-safety: every member may be called from many threads at once. Reads never see a
// partially applied batch. Times passed in are the caller's clock (ms since the Unix epoch).
class StorageBackend {
 public:
  virtual ~StorageBackend() = default;

  virtual const BackendCapabilities& capabilities() const = 0;
  // Applies the batch atomically (see WriteBatch). Throws IOError/BackendUnavailable when it
  // could not be made as durable as asked; the batch is then not acknowledged.
  virtual BatchResult apply(const WriteBatch& batch) = 0;
  // The live record of (ns, key): nullopt when missing or expired at now_ms. meta.tags is
  // filled only when with_tags (a read of the value alone need not copy them).
  virtual std::optional<StoredRecord> get(std::string_view ns, std::string_view key,
                                          std::int64_t now_ms, bool with_tags) = 0;
  // get of each key, in order. The default calls get per key; a remote backend reads them
  // all in one round trip.
  virtual std::vector<std::optional<StoredRecord>> get_many(std::string_view ns,
                                                            const std::vector<std::string>& keys,
                                                            std::int64_t now_ms, bool with_tags);
  // Like get without the value bytes (no value I/O).
  virtual std::optional<RecordMeta> get_meta(std::string_view ns, std::string_view key,
                                             std::int64_t now_ms) = 0;
  // Live keys of ns starting with prefix, greater than cursor, in key byte order.
  virtual KeyPage scan(std::string_view ns, std::string_view prefix, std::string_view cursor,
                       std::size_t limit, std::int64_t now_ms) = 0;
  // Number of live keys of ns.
  virtual std::size_t count(std::string_view ns, std::int64_t now_ms) = 0;
  // Deletes the keys of ns expired at now_ms; returns how many.
  virtual std::size_t remove_expired(std::string_view ns, std::int64_t now_ms, bool sync) = 0;
  // Deletes every key of ns atomically; returns how many live keys there were.
  virtual std::size_t clear(std::string_view ns, std::int64_t now_ms, bool sync) = 0;
  // Makes every applied batch durable.
  virtual void flush() = 0;
  // Reclaims the space of dead records (a no-op report where there is nothing to reclaim),
  // reporting the bytes of segments processed to progress (when set).
  virtual CompactionReport compact(const ProgressCallback& progress) = 0;
  virtual BackendStats stats() = 0;

  // Local indexing (backends that keep their keys in this process). The default
  // implementations throw NotSupported.
  //
  // The index of ns: made by `make` on first use, then shared. The backend replays every key
  // into it (after clear() when rebuild) and then reports every change.
  virtual std::shared_ptr<IndexSink> attach_index(
      std::string_view ns, const std::function<std::shared_ptr<IndexSink>()>& make, bool rebuild);
  // Runs fn with a reader of ns's keys and its index (nullptr if none is attached) while no
  // write can change them.
  virtual void read_index(std::string_view ns,
                          const std::function<void(const KeyIdReader&, IndexSink*)>& fn);

  // Physical backups (backends with files). The defaults throw NotSupported.
  //
  // A point-in-time snapshot: every write acknowledged before the call is in its files, none
  // after. Writers are paused only while the current segment is sealed.
  virtual Snapshot snapshot();
  // Atomically replaces the db's files with those of `folder` (a complete db folder on the
  // same file system) and reloads; indexes are rebuilt. Afterwards `folder` holds the old
  // files. Either the old or the new files are in place, whatever happens.
  virtual void replace_files(const std::string& folder);
  // Names of the namespaces that have keys.
  virtual std::vector<std::string> namespaces();
  // A read-only view catches up with what the data's writer has made durable since it was
  // opened or last refreshed (Options::read_only). Others are always current: the default
  // does nothing.
  virtual void refresh() {}
  // Names the data this backend holds: two backends whose identities are equal and non-empty
  // hold the same data, whatever options (paths, host names) opened them. sync_to refuses
  // to copy a namespace onto itself by it. The default, "", claims nothing.
  virtual std::string identity();
  // Keys of ns written or deleted at or after since_ms, on change_clock_ms's clock (logical
  // incremental backups of backends without files). The default throws NotSupported.
  virtual ChangeSet changes_since(std::string_view ns, std::int64_t since_ms);
  // Now on the clock changes_since counts in (a server's, for a shared backend). The default
  // throws NotSupported.
  virtual std::int64_t change_clock_ms();

  // Logical restores (backends without files; the defaults throw NotSupported): a backup is
  // rebuilt where no reader sees it, then swapped in whole or merged, so that a restore that
  // fails leaves the old data whole.
  //
  // A new, empty staging namespace for ns: a name to give WriteOp::ns, get, get_many, scan and
  // count. Its writes take their versions from ns; namespaces() never lists it.
  virtual std::string create_staging(std::string_view ns);
  // Atomically replaces ns's keys with staging's, which is gone afterwards: a reader sees all
  // of the old keys or all of the new. Keys that go leave tombstones, as deletes do.
  virtual void swap_in_staging(std::string_view ns, std::string_view staging);
  // Deletes staging and everything in it (also after a failed restore).
  virtual void drop_staging(std::string_view ns, std::string_view staging);

  // Server-side queries (backends without a local index). The defaults throw NotSupported.
  //
  // One page of the keys of ns matching q at now_ms, sorted by key bytes; page_size
  // kEveryKey puts every match on page 1.
  static constexpr std::size_t kEveryKey = static_cast<std::size_t>(-1);
  virtual ServerQueryPage query(std::string_view ns, const Query& q, std::size_t page,
                                std::size_t page_size, std::int64_t now_ms);
  // A number that changes whenever ns is written, by any process sharing the backend (what
  // query caches are invalidated by).
  virtual std::uint64_t write_generation(std::string_view ns);
  // Live keys of ns per tag.
  virtual std::map<std::string, std::size_t> tag_counts(std::string_view ns, std::int64_t now_ms);
};

using BackendFactory = std::function<std::shared_ptr<StorageBackend>(const Options&)>;

// Creates backends by name. "fs" and "memory" are built in.
class StorageFactory {
 public:
  // Adds or replaces a backend. Thread-safe.
  static void register_backend(const std::string& name, BackendFactory factory);
  // Opens options.backend for options.db. Backends of one db are shared by the stores of one
  // process. Throws InvalidArgument for an unknown name, or what the backend throws.
  static std::shared_ptr<StorageBackend> create(const Options& options);
};

}  // namespace nadb
