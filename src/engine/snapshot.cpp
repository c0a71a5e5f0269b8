// Physical snapshots and file replacement: what backups and restores ask of the engine.
#include <fcntl.h>

#include <algorithm>

#include "engine/engine.hpp"
#include "engine/hint.hpp"
#include "nadb/errors.hpp"
#include "obs/log.hpp"
#include "util/clock.hpp"
#include "util/files.hpp"

namespace nadb::engine {

Snapshot Engine::snapshot() {
  check_writable("a physical backup");
  WriteLockWaiter waiting(write_waiters_);             // a checkpoint gives way
  util::MutexLock compaction_lock(compaction_mutex_);  // the segment set stays as listed
  util::MutexLock write_lock(write_mutex_);
  writer_.check_healthy();
  // Sealing writes and fsyncs everything acknowledged so far: the snapshot instant.
  if (writer_.end_offset() > kSegmentHeaderSize) roll_locked();
  Snapshot snapshot;
  util::ReaderLock state_lock(state_mutex_);
  std::uint32_t active = writer_.active_id();
  for (const auto& [id, info] : segments_) {
    if (id == active) continue;
    SegmentFilePtr file = info.file;
    std::uint64_t size = info.size;
    snapshot.files.push_back(
        SnapshotFile{segment_file_name(id), size,
                     [file](std::uint64_t offset, std::size_t n, std::string& out) {
                       file->file.read_at(offset, n, out);
                     },
                     [file, size]() { return file->mapping.view(0, size); },
                     [file, size]() { return file->sha256(size); }});
  }
  std::int64_t now = util::now_ms();
  for (const auto& name : keydir_.namespace_names()) {
    const NamespaceKeys* keys = keydir_.find(name);
    snapshot.keys_by_namespace[name] = keys->keys.size() - keys->expiry.expired_count(now);
  }
  return snapshot;
}

std::vector<std::string> Engine::namespaces() {
  util::ReaderLock lock(state_mutex_);
  return keydir_.namespace_names();
}

// A restored folder holds segments that another db (or this one, earlier) wrote: each is
// checked and sealed with a hint, so that none is appended to (its bytes stay those its
// backups hold), and new segments get ids after every one used.
void Engine::seal_restored_segments(const std::string& folder) {
  for (const auto& name : util::list_directory(folder)) {
    auto id = parse_segment_file_name(name);
    if (!id || util::path_exists(util::join_path(folder, hint_file_name(*id)))) continue;
    SegmentFile segment;
    segment.id = *id;
    segment.file = util::File(util::join_path(folder, name), O_RDONLY);
    std::string header;
    segment.file.read_at(0, std::min<std::uint64_t>(segment.file.size(), kSegmentHeaderSize),
                         header);
    segment.format = check_segment_header(header, *id, segment.file.path());
    write_hint_file(folder, segment, segment.file.size());
  }
}

void Engine::replace_files(const std::string& folder, const std::vector<std::string>& carried) {
  check_writable("a restore");
  seal_restored_segments(folder);
  WriteLockWaiter waiting(write_waiters_);  // a checkpoint gives way
  util::MutexLock compaction_lock(compaction_mutex_);
  util::MutexLock write_lock(write_mutex_);
  // Read under the write lock: nothing is added to them between this and the exchange.
  WriteBatch carry = live_records(carried);
  exchange_files_locked(folder);
  try {
    carry_over_locked(carry);
  } catch (const std::exception& error) {
    writer_.fail(error);  // a later write might need what is missing
    throw;
  }
}

WriteBatch Engine::live_records(const std::vector<std::string>& namespaces) {
  WriteBatch batch;
  batch.now_ms = util::now_ms();
  for (const auto& ns : namespaces) {
    std::string cursor;
    do {
      KeyPage page = scan(ns, "", cursor, 1000, batch.now_ms);
      for (const auto& key : page.keys) {
        std::optional<StoredRecord> record;
        try {
          record = get(ns, key, batch.now_ms, true);
        } catch (const Corruption& e) {
          // Not carried: the restore must not fail on the damage it may be meant to undo.
          obs::logger(obs::Component::Engine)
              .error("a damaged record is not carried over by the restore",
                     {{"ns", ns}, {"error", e.what()}});
        }
        if (record) batch.ops.push_back(put_of_stored(ns, key, std::move(*record)));
      }
      cursor = std::move(page.next_cursor);
    } while (!cursor.empty());
  }
  return batch;
}

void Engine::carry_over_locked(WriteBatch& batch) {
  const Keydir& keydir = keydir_of_writer();
  std::erase_if(batch.ops, [&](const WriteOp& op) {
    return keydir.lookup_live(op.ns, op.key, batch.now_ms) != nullptr;
  });
  if (batch.ops.empty()) return;
  std::optional<SegmentWriter::Appended> appended;
  apply_locked(batch, appended);
  if (appended) writer_.sync_to(appended->position);
}

void Engine::exchange_files_locked(const std::string& folder) {
  util::WriterLock state_lock(state_mutex_);
  // The restored db continues this one's counters (and a restored db's own, if higher).
  HighWater marks = read_high_water(folder).value_or(HighWater{});
  marks.seq_limit = std::max({marks.seq_limit, marks_.seq_limit, next_seq_});
  marks.segment_id_limit =
      std::max({marks.segment_id_limit, marks_.segment_id_limit, next_segment_id_});
  write_high_water(folder, marks);
  // One atomic step: the restored folder takes the db's name and the old files move to
  // `folder` (removed by the caller). A crash leaves one or the other in place, whole.
  util::exchange_paths(folder, dir_);
  try {
    reload_locked();
  } catch (const std::exception& error) {
    // The open state must describe the files under the db's name: put the old ones back.
    try {
      util::exchange_paths(folder, dir_);
      reload_locked();
    } catch (const std::exception&) {
      // Both failed: the db folder holds the restored files, whole, but this engine's state
      // may not; writes are refused until the store is reopened.
      writer_.fail(error);
    }
    throw;
  }
}

void Engine::reload_locked() {
  std::string parent = dir_.substr(0, dir_.rfind('/'));
  util::sync_directory(parent.empty() ? "/" : parent);
  lock_ = std::make_unique<LockFile>(util::join_path(dir_, "LOCK"));
  rebuild_state_locked();
}

void Engine::rebuild_state_locked() {
  auto indexes = keydir_.indexes();
  segments_.clear();
  keydir_ = Keydir();
  {
    util::MutexLock maintenance_lock(maintenance_mutex_);
    hints_due_.clear();
  }
  recover();
  for (auto& [name, index] : indexes)
    keydir_.attach_index(keydir_.find_or_create(name), index);
}

}  // namespace nadb::engine
