// KeyValueStore's physical backups: BackupManager over the store's backend and folders.
#include <filesystem>
#include <map>
#include <mutex>

#include "backup/backup_manager.hpp"
#include "nadb/errors.hpp"
#include "nadb/store.hpp"
#include "obs/log.hpp"
#include "store/batch_writer.hpp"
#include "store/layout.hpp"
#include "store/store_core.hpp"
#include "util/files.hpp"

namespace nadb {

using store::BatchWriter;
using store::StoreCore;
namespace {

constexpr std::size_t kChunk = 1000;

backup::BackupManager manager_of(StoreCore& core) {
  if (!core.options_.enable_backup)
    throw NotSupported("backups are disabled (Options::enable_backup is false)");
  const Options& o = core.options_;
  std::string dir = o.backup_dir.empty() ? store::default_backup_dir(o) : o.backup_dir;
  return backup::BackupManager(dir, o.db, util::join_path(o.data_folder, o.db), *core.backend_,
                               [&core](StoredRecord& r) { return core.decode(r); });
}

// Copies every live key of source's namespace from_ns into the store's namespace to_ns, its
// stored bytes as they are (no recompression), the source winning over what is there.
void copy_live_keys(StorageBackend& source, const std::string& from_ns, BatchWriter& writer,
                    const std::string& to_ns) {
  std::string cursor;
  do {
    std::int64_t now = util::now_ms();
    KeyPage page = source.scan(from_ns, "", cursor, kChunk, now);
    auto records = source.get_many(from_ns, page.keys, now, true);
    for (std::size_t i = 0; i < page.keys.size(); ++i) {
      if (!records[i]) continue;  // expired since the scan
      writer.add(put_of_stored(to_ns, page.keys[i], std::move(*records[i])));
    }
    cursor = std::move(page.next_cursor);
  } while (!cursor.empty());
}

// Copies every key of the db folder `folder` into the store's db (the folder's keys win).
void merge_folder(StoreCore& core, const std::string& folder) {
  Options temp = core.options_;
  std::filesystem::path path(folder);
  temp.data_folder = path.parent_path().string();
  temp.db = path.filename().string();
  temp.backend = "fs";
  auto source = StorageFactory::create(temp);
  // Before the values that need them: frames are copied as they are.
  store::ValueDictionaries::copy_all(*source, *core.backend_);
  BatchWriter writer(core, false);
  for (const auto& ns : source->namespaces()) {
    if (is_user_namespace(ns)) copy_live_keys(*source, ns, writer, ns);
  }
  writer.finish();
  core.backend_->flush();
}

// Deletes every key of ns (a namespace of the db other than the store's own).
void clear_namespace(StorageBackend& backend, const std::string& ns, bool sync) {
  WriteBatch batch;
  batch.ops.resize(1);
  batch.ops[0].kind = WriteOp::Kind::Clear;
  batch.ops[0].ns = ns;
  batch.now_ms = util::now_ms();
  batch.sync = sync;
  backend.apply(batch);
}

// Restores a logical backup: the chain is replayed, oldest first, into a staging namespace
// per namespace, where no reader sees it; then each staging namespace is swapped in whole
// (clear_existing: namespaces the backup lacks are emptied) or its live keys are merged in.
// A failure before the swaps leaves the db as it was.
void replay_logical(StoreCore& core, backup::BackupManager& manager, const std::string& id,
                    bool verify_integrity, bool clear_existing, const ProgressCallback& progress) {
  StorageBackend& backend = *core.backend_;
  StagingArea* area_of = backend.facets().staging_area;
  if (area_of == nullptr) {
    throw NotSupported("backend '" + backend.capabilities().name +
                       "' has no staging area to restore a logical backup into");
  }
  bool sync = core.sync_writes();
  if (verify_integrity) manager.verify_or_throw(id);  // before anything is written
  std::map<std::string, std::string> staging;         // namespace -> its staging namespace
  auto staging_of = [&](const std::string& ns) -> const std::string& {
    auto it = staging.find(ns);
    if (it == staging.end()) it = staging.emplace(ns, area_of->create_staging(ns)).first;
    return it->second;
  };
  try {
    BatchWriter writer(core, sync);
    auto add = [&](WriteOp op, const std::string& ns) {
      op.ns = staging_of(ns);
      writer.add(std::move(op));
      if (progress && writer.added() % kChunk == 0) progress(writer.added(), 0);
    };
    backup::LogicalReplay replay;
    replay.put = [&](const std::string& ns, const std::vector<backup::JsonlEntry>& entries) {
      std::int64_t now = util::now_ms();
      for (const auto& e : entries) {
        // An entry expired by now is the key's latest state: absent, not an older version.
        bool expired = e.expires_ms != 0 && e.expires_ms <= now;
        add(expired ? core.make_op(WriteOp::Kind::Remove, e.key) : core.make_entry_put(e, now), ns);
      }
    };
    replay.remove = [&](const std::string& ns, const std::vector<std::string>& keys) {
      for (const auto& key : keys)
        add(core.make_op(WriteOp::Kind::Remove, key), ns);
    };
    manager.replay(id, false, replay);
    writer.finish();
    if (progress) progress(writer.added(), 0);
    if (clear_existing) {
      for (const auto& ns : backend.namespaces()) {
        // Not the dictionaries: the staged values were compressed with them.
        if (!staging.count(ns) && is_user_namespace(ns)) clear_namespace(backend, ns, sync);
      }
      for (auto it = staging.begin(); it != staging.end(); it = staging.erase(it))
        area_of->swap_in_staging(it->first, it->second);
    } else {
      BatchWriter merge(core, sync);
      for (const auto& [ns, area] : staging)
        copy_live_keys(backend, area, merge, ns);
      merge.finish();
    }
  } catch (...) {
    for (const auto& [ns, area] : staging) {
      try {
        area_of->drop_staging(ns, area);
      } catch (const std::exception& e) {
        obs::logger(obs::Component::Backup)
            .warn("a failed restore's staging area is left behind",
                  {{"ns", ns}, {"error", e.what()}});
      }
    }
    throw;
  }
  for (const auto& [ns, area] : staging)
    area_of->drop_staging(ns, area);
}

}  // namespace

BackupInfo KeyValueStore::create_backup(const std::string& id, bool compression,
                                        const ProgressCallback& progress) {
  auto lock = core_->use();
  core_->check_writable("a backup");
  return obs::performance(obs::Component::Backup)
      .measure("backup.create", {{"backup_id", id}, {"store", core_->name_}},
               [&] { return manager_of(*core_).create(id, "", compression, progress); });
}

BackupInfo KeyValueStore::create_incremental_backup(const std::string& parent_id,
                                                    const std::string& id, bool compression,
                                                    const ProgressCallback& progress) {
  auto lock = core_->use();
  core_->check_writable("a backup");
  if (parent_id.empty()) throw InvalidArgument("an incremental backup needs a parent id");
  return obs::performance(obs::Component::Backup)
      .measure("backup.create_incremental",
               {{"backup_id", id}, {"parent", parent_id}, {"store", core_->name_}},
               [&] { return manager_of(*core_).create(id, parent_id, compression, progress); });
}

void KeyValueStore::restore_backup(const std::string& id, bool verify_integrity,
                                   bool clear_existing, const ProgressCallback& progress) {
  // Restores of a process run one at a time: two of one db (from two stores of its
  // namespaces, say) would otherwise interleave their rebuilding and swapping.
  static std::mutex restores;
  std::lock_guard one_at_a_time(restores);
  auto lock = core_->use();
  core_->check_writable("a restore");
  auto scope =
      obs::performance(obs::Component::Backup)
          .start("backup.restore",
                 {{"backup_id", id}, {"store", core_->name_}, {"clear_existing", clear_existing}});
  backup::BackupManager manager = manager_of(*core_);
  if (manager.is_logical(id)) {
    replay_logical(*core_, manager, id, verify_integrity, clear_existing, progress);
    core_->cache_->clear();
    return;
  }
  PhysicalFiles* files = core_->backend_->facets().physical_files;
  if (files == nullptr) {
    throw NotSupported("backup '" + id + "' is physical: backend '" + core_->capabilities_.name +
                       "' has no files to restore it into");
  }
  std::string folder = manager.rebuild(id, verify_integrity, progress);
  try {
    if (clear_existing) {
      // folder now holds the old files. The dictionaries go on: stores keep compressing with
      // theirs (the backup's are restored too).
      files->replace_files(folder, {std::string(kDictionaryNamespace)});
      core_->dictionaries_->store_loaded(*core_->backend_);  // also those damaged before
    } else {
      merge_folder(*core_, folder);
    }
  } catch (...) {
    util::remove_tree_quietly(folder);
    throw;
  }
  core_->cache_->clear();
  try {
    util::remove_tree(folder);  // the old files (or the merged copy): the restore is done
  } catch (const std::exception& e) {
    obs::logger(obs::Component::Backup)
        .warn("a restore's work folder could not be removed",
              {{"folder", folder}, {"error", e.what()}});
  }
}

std::vector<BackupInfo> KeyValueStore::list_backups() {
  auto lock = core_->use();
  return manager_of(*core_).list();
}

bool KeyValueStore::verify_backup(const std::string& id) {
  return verify_backup_report(id).ok;
}

VerifyReport KeyValueStore::verify_backup_report(const std::string& id) {
  auto lock = core_->use();
  return manager_of(*core_).verify(id);
}

bool KeyValueStore::delete_backup(const std::string& id, bool force) {
  auto lock = core_->use();
  core_->check_writable("deleting a backup");
  return manager_of(*core_).remove(id, force);
}

std::size_t KeyValueStore::cleanup_old_backups(std::size_t keep_count, int keep_days) {
  auto lock = core_->use();
  core_->check_writable("deleting backups");
  if (keep_days < 0) throw InvalidArgument("keep_days must not be negative");
  return manager_of(*core_).cleanup(keep_count, std::chrono::hours(24 * keep_days));
}

}  // namespace nadb
