// Engine: the embedded log-structured store of one db folder (Bitcask family). Shared by every
// namespace of the db opened in one process. DESIGN.md section 6 and docs/FORMAT.md.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "engine/batch_planner.hpp"
#include "engine/high_water.hpp"
#include "engine/keydir.hpp"
#include "engine/keydir_image.hpp"
#include "engine/lock_file.hpp"
#include "engine/pending_write.hpp"
#include "engine/segment.hpp"
#include "engine/segment_writer.hpp"
#include "nadb/backend.hpp"
#include "util/shared_mutex.hpp"
#include "util/thread_annotations.hpp"

namespace nadb::engine {

struct EngineOptions {
  std::size_t buffer_bytes = 1 << 20;
  std::uint64_t segment_bytes = 64ull << 20;
  double compaction_dead_ratio = 0.5;
  bool background_maintenance = true;  // hint files and compaction in a background thread
  RecoveryMode recovery = RecoveryMode::TolerateTornTail;
  // A view of a folder another process may be writing: no lock, nothing written (read_only.cpp).
  bool read_only = false;
  // Options::keydir_memory_bytes (0: no bound).
  std::uint64_t keydir_memory_bytes = 0;
};

// The engine is the "fs" backend: it implements StorageBackend and its LocalIndexing and
// PhysicalFiles facets (nadb/backend.hpp). Every member is thread-safe.
class Engine final : public StorageBackend, public LocalIndexing, public PhysicalFiles {
 public:
  // The engine of folder dir, shared while any user holds it; recovers it on first open.
  // Throws Locked, Corruption, IOError, InvalidArgument (options). A read-only engine takes
  // no lock, creates nothing (NotFound for a missing folder) and is shared only by other
  // read-only users.
  static std::shared_ptr<Engine> open(const std::string& dir, const EngineOptions& options);
  // Stops maintenance and makes everything durable; never throws (errors are logged).
  ~Engine() override;
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // StorageBackend (engine_write.cpp, engine.cpp).
  const BackendCapabilities& capabilities() const override { return capabilities_; }
  BackendFacets facets() override { return {.local_indexing = this, .physical_files = this}; }
  BatchResult apply(const WriteBatch& batch) override;
  std::optional<StoredRecord> get(std::string_view ns, std::string_view key, std::int64_t now_ms,
                                  bool with_tags) override;
  std::optional<RecordMeta> get_meta(std::string_view ns, std::string_view key,
                                     std::int64_t now_ms) override;
  KeyPage scan(std::string_view ns, std::string_view prefix, std::string_view cursor,
               std::size_t limit, std::int64_t now_ms) override;
  std::size_t count(std::string_view ns, std::int64_t now_ms) override;
  std::vector<std::string> namespaces() override;
  void flush() override;
  // Full compaction: seals the active segment, rewrites every sealed segment that has dead
  // records or tombstones, and drops tombstones (safe because every older record is rewritten).
  CompactionReport compact(const ProgressCallback& progress) override;
  CompactionReport compact() { return compact({}); }
  BackendStats stats() override;
  // Read-only engines: loads what the folder's writer has flushed since the last load (the
  // open state stays in use until the new one is whole; attached indexes are rebuilt). Does
  // nothing on a writable engine, whose state is always current. Throws IOError, Corruption.
  void refresh() override;
  // The db folder's canonical path (the engine registry's key).
  std::string identity() override { return "fs:" + dir_; }

  // LocalIndexing (engine.cpp).
  std::shared_ptr<IndexSink> attach_index(std::string_view ns, std::shared_ptr<IndexSink> sink,
                                          bool rebuild) override;
  void read_index(std::string_view ns, const std::function<void(const KeyIdReader&)>& fn) override;

  // PhysicalFiles (snapshot.cpp).
  Snapshot snapshot() override;
  void replace_files(const std::string& folder, const std::vector<std::string>& carried) override;

  // A checkpoint (what the maintenance thread runs once appends paused): rewrites the keydir
  // image when the segments grew by an eighth of it since it was written (appends and
  // compaction output, at least kCheckpointMinTail), or when the keydir holds over half of
  // keydir_memory_bytes (then maps the new image: run_checkpoint): an open after a crash then
  // replays about that much at most, and one after a compaction finds an image that is not
  // stale. Gives up as soon as a writer waits for the write lock (which waits for a few
  // milliseconds of the image's work at most). False when it gave up, failed (logged) or
  // lacked the disk space for an image (logged once): the maintenance thread then waits for
  // a longer pause. Never throws. Thread-safe.
  bool checkpoint();
  // The least growth of the segments since the image that a checkpoint rewrites it for.
  static constexpr std::uint64_t kCheckpointMinTail = 256 << 10;
  // Keydir::private_bytes: the keydir's memory not backed by its mapped image, which
  // EngineOptions::keydir_memory_bytes bounds. Thread-safe (takes the state lock shared).
  std::uint64_t keydir_private_bytes();
  // Threads waiting for the write lock: what makes a checkpoint give up.
  std::uint32_t writers_waiting() const { return write_waiters_.load(); }

  const std::string& dir() const { return dir_; }
  // Whether the open state was mapped from a keydir image (and has not been rebuilt since).
  bool keydir_image_used() {
    util::MutexLock lock(write_mutex_);
    return image_.has_value();
  }

 private:
  struct SegmentInfo {
    SegmentFilePtr file;
    std::uint64_t size = 0;  // sealed segments only
    bool has_hint = false;
  };
  // Records from this size on are read with pread rather than through the mapping.
  static constexpr std::size_t kMappedReadLimit = 16 << 10;
  // A record's bytes: a view into a segment mapping (kept alive by `segment`) or a copy.
  struct RecordBytes {
    SegmentFilePtr segment;
    std::uint64_t offset = 0;
    std::size_t size = 0;
    std::string copy;
    std::string_view bytes;
  };

  // What a read-only load builds before it replaces the open state.
  struct LoadedFolder {
    Keydir keydir;
    std::map<std::uint32_t, SegmentInfo> segments;
    std::optional<std::uint32_t> active;  // the segment its writer may be appending to
    std::optional<KeydirImage> image;     // the keydir image it was mapped from
    // The folder's identity, names and the sizes of segments without hints: equal
    // fingerprints mean nothing changed.
    std::vector<std::string> fingerprint;
  };

  Engine(std::string dir, const EngineOptions& options);
  // read_only.cpp
  void check_writable(const char* operation) const;
  std::optional<LoadedFolder> load_read_only(const std::vector<std::string>* unless);
  std::optional<LoadedFolder> open_listed_segments();
  void read_segments(LoadedFolder& loaded);
  // Replaces the open state with loaded; returns how many segments it has.
  std::size_t install_loaded(LoadedFolder loaded) REQUIRES(refresh_mutex_);
  // recovery.cpp
  void recover() REQUIRES(write_mutex_, state_mutex_);
  // Maps the keydir image into the (empty) keydir if it matches segments `ids`; returns where
  // it leaves off in each segment it covers (empty: no image, the keydir is rebuilt).
  std::map<std::uint32_t, std::uint64_t> map_keydir_image(const std::vector<std::uint32_t>& ids)
      REQUIRES(write_mutex_, state_mutex_);
  // engine_image.cpp. At close, writes a keydir image unless the one on disk covers every
  // record; never throws (a failure is logged: the next open replays more, or rebuilds).
  void write_keydir_image_at_close();
  // Writes the image of the keydir covering `now`, asking give_up (KeydirImage::write); true
  // when written. Throws IOError.
  bool write_image_locked(std::vector<CoveredSegment> now, const std::function<bool()>& give_up,
                          const char* occasion) REQUIRES(write_mutex_)
      REQUIRES_SHARED(state_mutex_);
  // Whether the segments grew enough since the image for a checkpoint (checkpoint()).
  bool checkpoint_due_locked() const REQUIRES(write_mutex_);
  // checkpoint(), or when `forced` (the keydir outgrew keydir_memory_bytes): due or not, after
  // a pause or not, and giving way only to a close (writers wait); the keydir then maps the
  // new image (adopt_image_locked). A checkpoint after a pause is also due, and maps its
  // image, once the keydir holds more than half the bound. False as checkpoint(), and when
  // the image could not be mapped.
  bool run_checkpoint(bool forced);
  // The keydir's private memory (Keydir::private_bytes, a pagemap read) when
  // keydir_memory_bytes is set; 0 without a bound, which needs no measure.
  std::uint64_t private_bytes_if_bounded_locked() const REQUIRES_SHARED(state_mutex_);
  // Whether keydir_memory_bytes is set and private_bytes is over half of it.
  bool over_half_memory_bound(std::uint64_t private_bytes) const;
  // Replaces the keydir by a load of the image just written of it (nothing changed since),
  // moving the old one to `retired` for the caller to free after the locks: what it copied
  // or grew on the heap goes (private_bytes, as measured before, is logged), and the image's
  // pages serve instead. Logs and keeps the keydir when the image cannot be loaded (false).
  bool adopt_image_locked(Keydir& retired, std::uint64_t private_bytes)
      REQUIRES(compaction_mutex_, write_mutex_);
  // Whether the disk has room for 1.25 whole images (logged once when it has not, not at every
  // pause). Throws IOError.
  bool room_for_image_locked() REQUIRES(write_mutex_) REQUIRES_SHARED(state_mutex_);
  // Every segment at its current size (what an image written now would cover).
  std::vector<CoveredSegment> log_now_locked() const REQUIRES(write_mutex_)
      REQUIRES_SHARED(state_mutex_);
  // Whether the image on disk is missing, stale or followed by more log than the next open
  // should replay, or lacks a tag index this session built from the keys, or was written in
  // an earlier boot.
  bool image_due_locked(const std::vector<CoveredSegment>& now) const REQUIRES(write_mutex_)
      REQUIRES_SHARED(state_mutex_);
  // Checks the mapped image's arrays against their checksums, in the background; on damage,
  // rebuilds the keydir from the segments.
  void check_keydir_image();
  // Called once when a block of the mapped image is found damaged, by whichever thread met
  // it (a reader may hold the state lock): sets the image aside (a read-only view: ignores
  // images and reloads at its next refresh).
  void on_image_damage();
  // snapshot.cpp: gives every segment of a restored folder a hint (checking it).
  void seal_restored_segments(const std::string& folder);
  // replace_files' steps: the live records of namespaces as a batch that puts them back;
  // the exchange of the files and the reload; the writing of those the new files lack.
  WriteBatch live_records(const std::vector<std::string>& namespaces);
  void exchange_files_locked(const std::string& folder) REQUIRES(compaction_mutex_, write_mutex_);
  void carry_over_locked(WriteBatch& batch) REQUIRES(write_mutex_);
  // Forgets the open state and recovers the db folder's files again (after replace_files
  // swapped them).
  void reload_locked() REQUIRES(compaction_mutex_, write_mutex_, state_mutex_);
  // Forgets the open state and recovers the folder's files again (the lock kept).
  void rebuild_state_locked() REQUIRES(compaction_mutex_, write_mutex_, state_mutex_);
  void finish_obsolete_marker();
  // HIGHWATER's marks; a damaged file is Corruption, or rebuilt when repairing.
  HighWater recover_high_water(std::uint64_t max_seq, std::uint32_t max_segment_id);
  void set_aside(const SegmentFile& segment, std::uint64_t from, std::uint64_t to,
                 const char* kind);
  // How scans of sealed segments treat damage: skipped only under SkipDamagedRecords.
  OnDamage on_damage() const {
    return options_.recovery == RecoveryMode::SkipDamagedRecords ? OnDamage::Skip
                                                                 : OnDamage::Refuse;
  }
  std::shared_ptr<SegmentFile> create_segment(std::uint32_t id);
  // engine_write.cpp
  // Plans and appends a batch; appended is set when records were appended (to sync after the
  // write lock).
  BatchResult apply_locked(const WriteBatch& batch,
                           std::optional<SegmentWriter::Appended>& appended) REQUIRES(write_mutex_);
  SegmentWriter::Appended commit_locked() REQUIRES(write_mutex_);
  // The next sequence number / segment id, persisting a higher mark first when the current
  // one is reached (every 2^20 sequence numbers, every 16 segments). Write lock held.
  std::uint64_t take_seq_locked() REQUIRES(write_mutex_);
  std::uint32_t take_segment_id_locked() REQUIRES(write_mutex_);
  // Decodes the current record of a live key into fields (value and tags owned by pending_).
  void read_current(const KeyEntry& entry, RecordFields& fields) REQUIRES(write_mutex_);
  // A Clear or RemoveExpired batch: deletes every key of op.ns, or its expired ones.
  BatchResult remove_keys_locked(const WriteBatch& batch,
                                 std::optional<SegmentWriter::Appended>& appended)
      REQUIRES(write_mutex_);
  void roll_locked() REQUIRES(write_mutex_);
  // compaction.cpp
  CompactionReport compact_segments(const std::vector<std::uint32_t>& victims, bool drop_tombstones,
                                    const ProgressCallback& progress = {});
  void compact_by_dead_ratio();
  // engine.cpp
  // Starts loading the record at `at` into the cache (segments: segments_, under the state
  // lock).
  static void prefetch(const std::map<std::uint32_t, SegmentInfo>& segments, KeyTable::Location at);
  // Where entry's record is: its bytes when still in the write buffer, else its segment (kept
  // alive by the result); read_located then reads it without any lock, before which the
  // caller releases the state lock (no file I/O under it).
  RecordBytes locate_record(const KeyEntry& entry) const REQUIRES_SHARED(state_mutex_);
  static void read_located(RecordBytes& record);
  void maintenance_loop();
  void write_due_hints();
  // Counts its thread in write_waiters_ while it lives: a writer declares one before it takes
  // write_mutex_, so that a checkpoint holding it gives it up within a few hundred kilobytes.
  class WriteLockWaiter {
   public:
    explicit WriteLockWaiter(std::atomic<std::uint32_t>& waiters) : waiters_(waiters) {
      waiters_.fetch_add(1, std::memory_order_relaxed);
    }
    ~WriteLockWaiter() { waiters_.fetch_sub(1, std::memory_order_relaxed); }
    WriteLockWaiter(const WriteLockWaiter&) = delete;
    WriteLockWaiter& operator=(const WriteLockWaiter&) = delete;

   private:
    std::atomic<std::uint32_t>& waiters_;
  };

  const std::string dir_;
  const EngineOptions options_;
  BackendCapabilities capabilities_;
  std::unique_ptr<LockFile> lock_;  // replaced, with the files, by replace_files

  // One compaction at a time. Lock order: compaction_mutex_, write_mutex_, state_mutex_, then
  // the writer's own locks.
  util::Mutex compaction_mutex_ ACQUIRED_BEFORE(write_mutex_);

  // Guarded by write_mutex_: serializes appends, rolls and compaction swaps.
  util::Mutex write_mutex_ ACQUIRED_BEFORE(state_mutex_);
  std::uint64_t next_seq_ GUARDED_BY(write_mutex_) = 1;
  std::uint32_t next_segment_id_ GUARDED_BY(write_mutex_) = 1;
  // What HIGHWATER says: next_seq_ and next_segment_id_ stay below it.
  HighWater marks_ GUARDED_BY(write_mutex_);
  PendingWrite pending_ GUARDED_BY(write_mutex_);  // scratch of the write being applied
  // Scratch: the live entry of each op's key, and the writes the batch planner lists.
  std::vector<const KeyEntry*> current_ GUARDED_BY(write_mutex_);
  std::vector<PlannedWrite> planned_ GUARDED_BY(write_mutex_);

  // Guarded by state_mutex_ (shared by readers): the keydir and the segment set. Writers change
  // them holding write_mutex_ too, so the writer reads them without the state lock
  // (keydir_of_writer).
  mutable util::SharedMutex state_mutex_;
  Keydir keydir_ GUARDED_BY(state_mutex_);
  // The active segment included.
  std::map<std::uint32_t, SegmentInfo> segments_ GUARDED_BY(state_mutex_);
  const Keydir& keydir_of_writer() const REQUIRES(write_mutex_) NO_THREAD_SAFETY_ANALYSIS {
    write_mutex_.assert_held();
    return keydir_;
  }

  SegmentWriter writer_;  // has its own locks

  // Guarded by write_mutex_: the keydir image the keydir was mapped from (what it covers).
  std::optional<KeydirImage> image_ GUARDED_BY(write_mutex_);
  // What the KEYDIR on disk covers (the mapped image's, or a later one's); nullopt: none.
  std::optional<std::vector<CoveredSegment>> image_covers_ GUARDED_BY(write_mutex_);
  // Its body's size, and whether it was written unsynced in an earlier boot.
  std::uint64_t image_body_bytes_ GUARDED_BY(write_mutex_) = 0;
  bool image_of_earlier_boot_ GUARDED_BY(write_mutex_) = false;
  // The writer's appended position and compacted_bytes_ when it was written (or the state
  // recovered).
  std::uint64_t appended_at_image_ GUARDED_BY(write_mutex_) = 0;
  std::uint64_t compacted_at_image_ GUARDED_BY(write_mutex_) = 0;
  // The records the next open would replay after the image (those an open replayed, and
  // those appended since).
  std::uint64_t records_since_image_ GUARDED_BY(write_mutex_) = 0;
  // The last checkpoint found too little disk space (said once, not at every pause).
  bool checkpoint_lacked_room_ GUARDED_BY(write_mutex_) = false;
  // Threads waiting for write_mutex_ (WriteLockWaiter): a checkpoint holding it gives it up.
  std::atomic<std::uint32_t> write_waiters_{0};
  std::atomic<bool> closing_{false};  // a checkpoint in progress gives up
  // Set by the first append after the maintenance thread last considered a checkpoint.
  std::atomic<bool> appends_noticed_{false};
  // Writes since the keydir's memory was last measured against keydir_memory_bytes: every
  // memory_check_writes_, the maintenance thread is asked to. A scattered write copies up to
  // two pages of the image (8 KiB): bound / 8 KiB writes (64 to 4,096) add at most the bound.
  const std::uint32_t memory_check_writes_;
  std::uint32_t writes_since_memory_check_ GUARDED_BY(write_mutex_) = 0;
  std::atomic<bool> memory_check_due_{false};
  std::atomic<bool> stop_image_check_{false};
  // Read-only engines: the image failed its check, so loads rebuild from the segments.
  std::atomic<bool> ignore_image_{false};
  std::atomic<bool> reload_due_{false};
  std::thread image_check_;  // check_keydir_image, started by the constructor

  // Guarded by refresh_mutex_ (read-only engines): one refresh at a time, and what the last
  // load saw.
  util::Mutex refresh_mutex_;
  std::vector<std::string> fingerprint_ GUARDED_BY(refresh_mutex_);

  std::atomic<std::uint64_t> compactions_{0};
  std::atomic<std::uint64_t> compacted_bytes_{0};  // written by compactions since the open
  // Bytes recovery left out and kept aside (torn tails, damaged records).
  std::atomic<std::uint64_t> torn_bytes_{0};
  std::atomic<std::uint64_t> damaged_bytes_{0};

  // Guarded by maintenance_mutex_: the background thread's work.
  util::Mutex maintenance_mutex_;
  std::condition_variable_any maintenance_cv_;
  std::vector<std::uint32_t> hints_due_ GUARDED_BY(maintenance_mutex_);
  bool stopping_ GUARDED_BY(maintenance_mutex_) = false;
  std::thread maintenance_;
};

}  // namespace nadb::engine
