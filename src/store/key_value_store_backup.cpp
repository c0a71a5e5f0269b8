// KeyValueStore's physical backups: BackupManager over the store's backend and folders.
#include <filesystem>

#include "backup/backup_manager.hpp"
#include "nadb/errors.hpp"
#include "nadb/store.hpp"
#include "obs/log.hpp"
#include "store/layout.hpp"
#include "store/store_core.hpp"
#include "util/files.hpp"

namespace nadb {
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

// Copies every key of the db folder `folder` into backend (the folder's keys win).
void merge_folder(StoreCore& core, const std::string& folder) {
  Options temp = core.options_;
  std::filesystem::path path(folder);
  temp.data_folder = path.parent_path().string();
  temp.db = path.filename().string();
  temp.backend = "fs";
  auto source = StorageFactory::create(temp);
  for (const auto& ns : source->namespaces()) {
    std::string cursor;
    do {
      std::int64_t now = util::now_ms();
      KeyPage page = source->scan(ns, "", cursor, kChunk, now);
      std::vector<WriteOp> ops;
      for (const auto& key : page.keys) {
        auto record = source->get(ns, key, now, true);
        if (!record) continue;
        WriteOp op;
        op.ns = ns;
        op.key = key;
        op.value = std::move(record->value);  // still encoded: no recompression
        op.codec = record->meta.codec;
        op.raw_size = record->meta.raw_size;
        op.tags = std::move(record->meta.tags);
        op.expires_ms = record->meta.expires_ms;
        ops.push_back(std::move(op));
      }
      if (!ops.empty()) {
        WriteBatch batch{std::move(ops), now, false};
        core.backend_->apply(batch);
      }
      cursor = std::move(page.next_cursor);
    } while (!cursor.empty());
  }
  core.backend_->flush();
}

// Restores a logical backup by replaying it into the backend, namespace by namespace;
// clear_existing first empties every namespace of the db.
void replay_logical(StoreCore& core, backup::BackupManager& manager, const std::string& id,
                    bool verify_integrity, bool clear_existing, const ProgressCallback& progress) {
  bool sync = core.options_.durability == Durability::Sync;
  std::size_t replayed = 0;
  auto apply = [&](std::vector<WriteOp> ops, const std::string& ns, std::int64_t now) {
    for (auto& op : ops)
      op.ns = ns;
    replayed += ops.size();
    core.apply_locked(std::move(ops), now, sync);
    if (progress) progress(replayed, 0);
  };
  backup::LogicalReplay replay;
  replay.put = [&](const std::string& ns, const std::vector<backup::JsonlEntry>& entries) {
    std::int64_t now = util::now_ms();
    std::vector<WriteOp> ops;
    for (const auto& e : entries) {
      ops.push_back(core.make_put(e.key, e.value, e.tags, std::nullopt, now));
      ops.back().expires_ms = e.expires_ms;
    }
    apply(std::move(ops), ns, now);
  };
  replay.remove = [&](const std::string& ns, const std::vector<std::string>& keys) {
    std::vector<WriteOp> ops;
    for (const auto& key : keys)
      ops.push_back(core.make_op(WriteOp::Kind::Remove, key));
    apply(std::move(ops), ns, util::now_ms());
  };
  if (verify_integrity) manager.verify_or_throw(id);  // before anything is cleared
  if (clear_existing) {
    for (const auto& ns : core.backend_->namespaces())
      core.backend_->clear(ns, util::now_ms(), sync);
  }
  manager.replay(id, false, replay);
}

}  // namespace

BackupInfo KeyValueStore::create_backup(const std::string& id, bool compression,
                                        const ProgressCallback& progress) {
  auto lock = core_->use();
  return obs::performance(obs::Component::Backup)
      .measure("backup.create", {{"backup_id", id}, {"store", core_->name_}},
               [&] { return manager_of(*core_).create(id, "", compression, progress); });
}

BackupInfo KeyValueStore::create_incremental_backup(const std::string& parent_id,
                                                    const std::string& id, bool compression,
                                                    const ProgressCallback& progress) {
  auto lock = core_->use();
  if (parent_id.empty()) throw InvalidArgument("an incremental backup needs a parent id");
  return obs::performance(obs::Component::Backup)
      .measure("backup.create_incremental",
               {{"backup_id", id}, {"parent", parent_id}, {"store", core_->name_}},
               [&] { return manager_of(*core_).create(id, parent_id, compression, progress); });
}

void KeyValueStore::restore_backup(const std::string& id, bool verify_integrity,
                                   bool clear_existing, const ProgressCallback& progress) {
  auto lock = core_->use();
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
  std::string folder = manager.rebuild(id, verify_integrity, progress);
  try {
    if (clear_existing) {
      core_->backend_->replace_files(folder);  // folder now holds the old files
    } else {
      merge_folder(*core_, folder);
    }
  } catch (...) {
    util::remove_tree_quietly(folder);
    throw;
  }
  util::remove_tree(folder);
  core_->cache_->clear();
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
  return manager_of(*core_).remove(id, force);
}

std::size_t KeyValueStore::cleanup_old_backups(std::size_t keep_count, int keep_days) {
  if (keep_days < 0) throw InvalidArgument("keep_days must not be negative");
  auto lock = core_->use();
  return manager_of(*core_).cleanup(keep_count, std::chrono::hours(24 * keep_days));
}

}  // namespace nadb
