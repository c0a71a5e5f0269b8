// The optional parts of a storage backend. A backend implements the core of StorageBackend
// (backend.hpp) and declares, through StorageBackend::facets(), which of these it offers;
// callers ask for a facet and get it or nullptr, never an exception.
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

#include "nadb/query.hpp"
#include "nadb/types.hpp"

namespace nadb {

// ---- LocalIndexing: backends that keep their keys in this process (fs, memory) ----

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
  // What the index holds, as portable bytes, for a backend that keeps an image of its keydir
  // across a close (the fs engine's KEYDIR): the next open loads it instead of replaying every
  // key. Empty (the default) when the index has nothing worth saving. Called with no writer
  // running; throws nothing but std::bad_alloc.
  virtual std::string save_image() const { return {}; }
  // Replaces what the index holds with `image`, bytes that save_image() of the same kind of
  // index returned over the same key ids; false (the index left cleared) when they are not
  // such bytes, and the backend then tells it of every key instead. Called as clear() is.
  virtual bool load_image(std::string_view) {
    clear();
    return false;
  }
};

// Reads one namespace's keys by id; valid only inside LocalIndexing::read_index. Live ids
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

// Thread-safe, like every backend member.
class LocalIndexing {
 public:
  virtual ~LocalIndexing() = default;
  // Attaches `sink` as the index of ns and returns the index in effect: `sink` when ns had
  // none, the attached one otherwise (one index per namespace, shared by its users). The
  // backend clears it (when attached, or rebuild) and replays every key into it before the
  // next read_index of ns, not at once (an open need not visit every key); after the replay
  // it reports every change, before it each change is signalled by an on_added with no ids.
  virtual std::shared_ptr<IndexSink> attach_index(std::string_view ns,
                                                  std::shared_ptr<IndexSink> sink,
                                                  bool rebuild) = 0;
  // Runs fn with a reader of ns's keys while no write can change them (or the index).
  virtual void read_index(std::string_view ns,
                          const std::function<void(const KeyIdReader&)>& fn) = 0;
};

// ---- PhysicalFiles: backends with files (fs), for physical backups ----

// One file of a point-in-time snapshot. The file stays readable through `read` even if the
// backend deletes it meanwhile.
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

class PhysicalFiles {
 public:
  virtual ~PhysicalFiles() = default;
  // A point-in-time snapshot: every write acknowledged before the call is in its files, none
  // after. Writers are paused only while the current segment is sealed.
  virtual Snapshot snapshot() = 0;
  // Atomically replaces the db's files with those of `folder` (a complete db folder on the
  // same file system) and reloads; indexes are rebuilt. Afterwards `folder` holds the old
  // files. Either the old or the new files are in place, whatever happens. The live keys of
  // the namespaces `carried` that the new files lack are then written again (synced) before
  // any other write: a store's compression dictionaries, which values written after the
  // restore may need. Writes are refused (until a reopen) if that fails.
  virtual void replace_files(const std::string& folder,
                             const std::vector<std::string>& carried) = 0;
};

// ---- ChangeLog: backends without files that know what changed (redis), for incrementals ----

// What changed in a namespace since an instant.
struct ChangeSet {
  std::vector<std::string> updated;  // keys written since (live or not now)
  std::vector<std::string> deleted;  // keys deleted since and absent now
  // Deletes before this instant may be forgotten (tombstone retention): a ChangeSet since an
  // earlier instant is incomplete.
  std::int64_t complete_since_ms = 0;
};

class ChangeLog {
 public:
  virtual ~ChangeLog() = default;
  // Keys of ns written or deleted at or after since_ms, on change_clock_ms's clock.
  virtual ChangeSet changes_since(std::string_view ns, std::int64_t since_ms) = 0;
  // Now on the clock changes_since counts in (a server's, for a shared backend).
  virtual std::int64_t change_clock_ms() = 0;
};

// ---- StagingArea: logical restores (redis) ----

// A backup is rebuilt where no reader sees it, then swapped in whole or merged, so that a
// restore that fails leaves the old data whole.
class StagingArea {
 public:
  virtual ~StagingArea() = default;
  // A new, empty staging namespace for ns: a name to give WriteOp::ns, get, get_many, scan and
  // count. Its writes take their versions from ns; namespaces() never lists it.
  virtual std::string create_staging(std::string_view ns) = 0;
  // Atomically replaces ns's keys with staging's, which is gone afterwards: a reader sees all
  // of the old keys or all of the new. Keys that go leave tombstones, as deletes do.
  virtual void swap_in_staging(std::string_view ns, std::string_view staging) = 0;
  // Deletes staging and everything in it (also after a failed restore).
  virtual void drop_staging(std::string_view ns, std::string_view staging) = 0;
};

// ---- ServerQueries: backends without a local index that answer queries themselves (redis) ----

// A page of a server-side query, with what a cache needs to know to keep it.
struct ServerQueryPage {
  QueryResult result;
  std::uint64_t generation = 0;     // write_generation(ns) the page was computed at
  std::int64_t valid_until_ms = 0;  // the first later expiry in ns (0: none)
};

class ServerQueries {
 public:
  virtual ~ServerQueries() = default;
  // page_size kEveryKey puts every match on page 1.
  static constexpr std::size_t kEveryKey = static_cast<std::size_t>(-1);
  // One page of the keys of ns matching q at now_ms, sorted by key bytes.
  virtual ServerQueryPage query(std::string_view ns, const Query& q, std::size_t page,
                                std::size_t page_size, std::int64_t now_ms) = 0;
  // A number that changes whenever ns is written, by any process sharing the backend (what
  // query caches are invalidated by).
  virtual std::uint64_t write_generation(std::string_view ns) = 0;
  // Live keys of ns per tag.
  virtual std::map<std::string, std::size_t> tag_counts(std::string_view ns,
                                                        std::int64_t now_ms) = 0;
};

// The facets a backend offers: each is nullptr or valid for the backend's life.
struct BackendFacets {
  LocalIndexing* local_indexing = nullptr;
  PhysicalFiles* physical_files = nullptr;
  ChangeLog* change_log = nullptr;
  StagingArea* staging_area = nullptr;
  ServerQueries* server_queries = nullptr;
};

}  // namespace nadb
