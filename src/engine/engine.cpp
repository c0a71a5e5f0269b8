#include "engine/engine.hpp"

#include <sys/stat.h>

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <unordered_map>

#include "engine/hint.hpp"
#include "nadb/errors.hpp"
#include "obs/log.hpp"
#include "obs/metrics.hpp"
#include "util/clock.hpp"
#include "util/files.hpp"

namespace nadb::engine {
namespace {

// One engine per db folder per process: a second open shares it (the flock is per process).
// Entries remember the pid that opened them: a forked child is another process and must take
// the lock itself rather than share its parent's engine.
struct Registry {
  struct Slot {
    std::weak_ptr<Engine> engine;
    pid_t pid = 0;
  };
  std::mutex mutex;
  std::condition_variable closed;
  std::unordered_map<std::string, Slot> engines;
};

Registry& registry() {
  static Registry* instance = new Registry();  // never destroyed: engines may outlive statics
  return *instance;
}

void check_options(const EngineOptions& options) {
  if (options.buffer_bytes == 0) throw InvalidArgument("buffer_size_mb must be positive");
  if (options.segment_bytes < (64 << 10) || options.segment_bytes > (1ull << 30)) {
    throw InvalidArgument("max_segment_size_mb must be between 0.0625 and 1024");
  }
  if (!(options.compaction_dead_ratio > 0 && options.compaction_dead_ratio <= 1)) {
    throw InvalidArgument("compaction_dead_ratio must be in (0, 1]");
  }
  if (options.keydir_memory_bytes != 0 && options.keydir_memory_bytes < (64 << 10)) {
    throw InvalidArgument("keydir_memory_bytes must be 0 (no bound) or at least 64 KiB, got " +
                          std::to_string(options.keydir_memory_bytes));
  }
}

}  // namespace

std::shared_ptr<Engine> Engine::open(const std::string& dir, const EngineOptions& options) {
  check_options(options);
  if (options.read_only) {
    if (!util::path_exists(dir)) throw NotFound("no db at '" + dir + "'");
  } else {
    util::create_directories(dir);
  }
  std::string path = std::filesystem::canonical(dir).string();
  // Read-only engines are kept apart: they take no lock and follow the folder on refresh().
  std::string key = options.read_only ? "read-only:" + path : path;
  Registry& r = registry();
  std::unique_lock lock(r.mutex);
  for (;;) {
    auto it = r.engines.find(key);
    if (it == r.engines.end() || it->second.pid != ::getpid()) break;
    if (auto existing = it->second.engine.lock()) return existing;
    r.closed.wait(lock);  // the last user just let go: wait until it has flushed and unlocked
  }
  std::shared_ptr<Engine> engine(new Engine(path, options), [key](Engine* e) {
    delete e;
    std::lock_guard deleter_lock(registry().mutex);
    auto it = registry().engines.find(key);
    if (it != registry().engines.end() && it->second.engine.expired()) registry().engines.erase(it);
    registry().closed.notify_all();
  });
  r.engines[key] = Registry::Slot{engine, ::getpid()};
  return engine;
}

Engine::Engine(std::string dir, const EngineOptions& options)
    : dir_(std::move(dir)),
      options_(options),
      writer_(options.buffer_bytes, write_mutex_),
      memory_check_writes_(static_cast<std::uint32_t>(
          std::clamp<std::uint64_t>(options.keydir_memory_bytes / 8192, 64, 4096))) {
  capabilities_.name = "fs";
  capabilities_.persistent = true;
  capabilities_.physical_backups = true;
  capabilities_.max_value_size = 1ull << 30;
  capabilities_.max_batch_bytes = kMaxPayloadSize / 2;  // encoding adds headers
  util::Stopwatch watch;
  if (options_.read_only) {
    util::MutexLock refresh_lock(refresh_mutex_);
    install_loaded(std::move(*load_read_only(nullptr)));
  } else {
    lock_ = std::make_unique<LockFile>(util::join_path(dir_, "LOCK"));
    static obs::Histogram& recoveries = obs::component_histogram("engine.recover");
    obs::Timed timed(recoveries);
    util::MutexLock write_lock(write_mutex_);  // no other thread sees the engine yet
    util::WriterLock state_lock(state_mutex_);
    recover();
  }
  obs::logger(obs::Component::Engine)
      .info("db opened", {{"dir", dir_},
                          {"segments", segments_.size()},
                          {"read_only", options_.read_only},
                          {"duration_ms", watch.elapsed_ms()}});
  if (options_.background_maintenance && !options_.read_only)
    maintenance_ = std::thread([this] { maintenance_loop(); });
  // The background check of a mapped image: with background maintenance only (tests that
  // drive maintenance themselves meet damage through the operations that touch it).
  if (options_.background_maintenance) image_check_ = std::thread([this] { check_keydir_image(); });
}

Engine::~Engine() {
  closing_ = true;
  {
    util::MutexLock lock(maintenance_mutex_);
    stopping_ = true;
  }
  maintenance_cv_.notify_all();
  if (maintenance_.joinable()) maintenance_.join();
  stop_image_check_ = true;
  if (image_check_.joinable()) image_check_.join();
  try {
    flush();
  } catch (const std::exception& e) {
    obs::logger(obs::Component::Engine).error("flush at close failed", {{"error", e.what()}});
  }
  write_keydir_image_at_close();
}

void Engine::prefetch(const std::map<std::uint32_t, SegmentInfo>& segments, KeyTable::Location at) {
  auto it = segments.find(at.segment);
  if (it == segments.end()) return;
  // A hint only: prefetching never faults, even past the end of the file.
  std::string_view head = it->second.file->mapping.view(at.offset, 1);
  if (!head.empty()) __builtin_prefetch(head.data());
}

Engine::RecordBytes Engine::locate_record(const KeyEntry& entry) const {
  RecordBytes out;
  out.offset = entry.offset;
  out.size = entry.record_size;
  if (writer_.read_buffered(entry.segment, out.offset, out.size, out.copy)) {
    out.bytes = out.copy;
  } else {
    out.segment = segments_.at(entry.segment).file;
  }
  return out;
}

void Engine::read_located(RecordBytes& record) {
  if (!record.bytes.empty() || !record.segment) return;  // read from the write buffer
  // Large records are read with one pread: touching them through the mapping costs a page
  // fault per 64 KiB, and faults are slow in VMs (a 64 KiB get took 37 µs that way).
  if (record.size < kMappedReadLimit) {
    record.bytes = record.segment->mapping.view(record.offset, record.size);
  }
  if (record.bytes.empty()) {
    record.segment->file.read_at(record.offset, record.size, record.copy);
    record.bytes = record.copy;
  }
}

std::optional<StoredRecord> Engine::get(std::string_view ns, std::string_view key,
                                        std::int64_t now_ms, bool with_tags) {
  util::ReaderLock lock(state_mutex_);
  const auto* segments = &segments_;  // the lambda runs in lookup_live, under this lock
  const KeyEntry* entry = keydir_.lookup_live(
      ns, key, now_ms, [segments](KeyTable::Location at) { prefetch(*segments, at); });
  if (entry == nullptr) return std::nullopt;
  StoredRecord result;
  result.meta = keydir_.meta_of(*entry, with_tags);
  std::uint32_t segment = entry->segment, offset = entry->offset;
  RecordBytes record = locate_record(*entry);
  lock.unlock();  // the segment stays readable through record.segment even if compacted away
  read_located(record);
  // The keydir knows the value's size, and the value ends the record: no decode needed.
  if (!checksum_matches(record.bytes) || record.bytes.size() < result.meta.stored_size) {
    throw Corruption("record in segment " + std::to_string(segment) + " at offset " +
                     std::to_string(offset) + " of '" + dir_ + "' fails its checksum");
  }
  std::size_t head = record.bytes.size() - result.meta.stored_size;
  if (record.copy.empty()) {
    result.value.assign(record.bytes.substr(head));
  } else {
    // The copy becomes the value: a large get allocates once, not twice (each fresh
    // allocation of a large value costs page faults, slow in VMs).
    record.copy.erase(0, head);
    result.value = std::move(record.copy);
  }
  return result;
}

std::optional<RecordMeta> Engine::get_meta(std::string_view ns, std::string_view key,
                                           std::int64_t now_ms) {
  util::ReaderLock lock(state_mutex_);
  const KeyEntry* entry = keydir_.lookup_live(ns, key, now_ms);
  if (entry == nullptr) return std::nullopt;
  return keydir_.meta_of(*entry);
}

KeyPage Engine::scan(std::string_view ns, std::string_view prefix, std::string_view cursor,
                     std::size_t limit, std::int64_t now_ms) {
  util::ReaderLock lock(state_mutex_);
  return keydir_.scan(ns, prefix, cursor, limit, now_ms);
}

std::size_t Engine::count(std::string_view ns, std::int64_t now_ms) {
  util::ReaderLock lock(state_mutex_);
  return keydir_.count(ns, now_ms);
}

void Engine::flush() {
  writer_.sync_to(writer_.appended_position());
}

BackendStats Engine::stats() {
  BackendStats s;
  s.backend = "fs";
  util::ReaderLock lock(state_mutex_);
  std::uint32_t active = writer_.active_id();
  for (const auto& [id, info] : segments_) {
    std::uint64_t size = id == active ? writer_.end_offset() : info.size;
    s.disk_bytes += size;
    s.dead_bytes += keydir_.dead_bytes(id);
    s.hint_files += info.has_hint ? 1 : 0;
  }
  s.segments = segments_.size();
  s.live_bytes = s.disk_bytes - std::min(s.disk_bytes, s.dead_bytes);
  s.buffered_bytes = writer_.buffered_bytes();
  s.flushes = writer_.writes();
  s.fsyncs = writer_.fsyncs();
  s.compactions = compactions_.load();
  s.torn_bytes = torn_bytes_.load();
  s.damaged_bytes = damaged_bytes_.load();
  s.memory_bytes = keydir_.memory_bytes();
  s.keydir_private_bytes = keydir_.private_bytes();
  return s;
}

std::shared_ptr<IndexSink> Engine::attach_index(std::string_view ns,
                                                std::shared_ptr<IndexSink> sink, bool rebuild) {
  // The write lock too: creating the namespace changes the keydir, which the writer reads
  // without the state lock (keydir_of_writer).
  WriteLockWaiter waiting(write_waiters_);
  util::MutexLock write_lock(write_mutex_);
  util::WriterLock lock(state_mutex_);
  return keydir_.attach_index(ns, std::move(sink), rebuild);
}

void Engine::read_index(std::string_view ns, const std::function<void(const KeyIdReader&)>& fn) {
  util::ReaderLock lock(state_mutex_);
  keydir_.read(ns, fn);
}

void Engine::maintenance_loop() {
  using Clock = std::chrono::steady_clock;
  // Hints and compaction every second (and when a roll asks); a checkpoint once appends paused
  // for `pause` — doubled each time one gave way to a writer or could not be written, so that
  // a db written without pauses (or a full disk) does not start image after image; back to the
  // shortest once one is written or not due.
  constexpr auto kShortestPause = std::chrono::milliseconds(50);
  constexpr auto kLongestPause = std::chrono::seconds(5);
  std::chrono::milliseconds pause = kShortestPause;
  std::uint64_t seen = writer_.appended_position();  // the log position last seen
  // Where a checkpoint was last considered: none yet (appends may have come before this
  // thread started, their wake-up lost).
  std::uint64_t considered = ~seen;
  std::uint64_t compactions = compactions_.load();  // a compaction makes one worth considering
  Clock::time_point seen_at = Clock::now(), next_tick = seen_at + std::chrono::seconds(1);
  Clock::time_point force_after = seen_at;  // a checkpoint for the memory bound failed: not before
  util::MutexLock lock(maintenance_mutex_);
  while (!stopping_) {
    Clock::time_point wake = next_tick;
    if (seen != considered) wake = std::min(wake, seen_at + pause);
    bool notified = maintenance_cv_.wait_until(lock, wake) == std::cv_status::no_timeout;
    if (stopping_) break;
    lock.unlock();
    try {
      Clock::time_point now = Clock::now();
      // A writer's call to measure the keydir is not a tick (it may come every 64 writes).
      bool memory_due = memory_check_due_.exchange(false);
      bool ticked = now >= next_tick || (notified && !memory_due);
      if (ticked) {
        write_due_hints();
        compact_by_dead_ratio();
        next_tick = now + std::chrono::seconds(1);
        if (compactions_.load() != compactions) {  // here or by compact(): consider one
          compactions = compactions_.load();
          considered = ~seen;
        }
      }
      if (options_.keydir_memory_bytes != 0 && (memory_due || ticked) && now >= force_after &&
          keydir_private_bytes() > options_.keydir_memory_bytes) {
        // No pause is waited for: writers wait for this one (the bound is the user's choice).
        if (!run_checkpoint(true)) force_after = now + std::chrono::seconds(1);
      }
      if (std::uint64_t position = writer_.appended_position(); position != seen) {
        seen = position;
        seen_at = now;
      } else if (seen != considered && now - seen_at >= pause) {
        appends_noticed_.store(false);  // the next append wakes this thread again
        bool finished = checkpoint();
        pause = finished ? kShortestPause
                         : std::min<std::chrono::milliseconds>(2 * pause, kLongestPause);
        if (finished) considered = seen;
        seen_at = Clock::now();
      }
    } catch (const std::exception& e) {
      obs::logger(obs::Component::Engine)
          .error("background maintenance failed", {{"error", e.what()}});
    }
    lock.lock();
  }
}

void Engine::write_due_hints() {
  util::MutexLock compaction_lock(compaction_mutex_);  // compaction may delete these segments
  std::vector<std::uint32_t> due;
  {
    util::MutexLock lock(maintenance_mutex_);
    due.swap(hints_due_);
  }
  for (std::uint32_t id : due) {
    SegmentInfo info;
    {
      util::ReaderLock lock(state_mutex_);
      auto it = segments_.find(id);
      if (it == segments_.end()) continue;  // compacted away meanwhile
      info = it->second;
    }
    write_hint_file(dir_, *info.file, info.size, on_damage());
    util::WriterLock lock(state_mutex_);
    if (auto it = segments_.find(id); it != segments_.end()) it->second.has_hint = true;
  }
}

}  // namespace nadb::engine
