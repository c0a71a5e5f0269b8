// BackupManager: physical backups of one db in a backup folder — full and incremental
// snapshots, verification of whole chains, retention, and restore (atomic replace or merge).
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "backup/logical_backup.hpp"
#include "backup/manifest.hpp"
#include "nadb/backend.hpp"
#include "nadb/backup.hpp"

namespace nadb::backup {

// ids: 1-64 chars of [A-Za-z0-9._-], not "." or ".."; InvalidArgument otherwise.
void validate_backup_id(const std::string& id);
// Restores of db are rebuilt in <data_folder>/<db>@restore-<pid>-<n>: a name no db can have.
std::string restore_folder_prefix(const std::string& db);
// Whether name (an entry of the data folder) is such a work folder of db.
bool is_restore_folder(const std::string& name, const std::string& db);

class BackupManager {
 public:
  // backup_dir holds the backups of db; db_folder is the db's own folder (restores are built
  // next to it, on the same file system).
  BackupManager(std::string backup_dir, std::string db, std::string db_folder,
                StorageBackend& backend, ValueDecoder decode);

  // A physical point-in-time snapshot (backends with files), or a logical one (backends
  // without: JSONL per namespace, consistent per key, see logical_backup.hpp); incremental
  // when parent is given (only the files the parent chain lacks, or the changes since the
  // parent). An empty id gets a unique one. Throws InvalidArgument (bad or existing id,
  // parent of the other kind), NotFound (unknown parent), NotSupported (a backend that can
  // do neither). progress: bytes of files stored (physical) or keys written (logical).
  BackupInfo create(std::string id, const std::string& parent, bool compress,
                    const ProgressCallback& progress = {});
  std::vector<BackupInfo> list();
  // Checks the manifest and every file of the whole chain.
  VerifyReport verify(const std::string& id);
  // false when another backup depends on id and force is false; force also deletes those.
  bool remove(const std::string& id, bool force);
  // Deletes backups beyond the newest keep_count that are older than keep_days, except
  // those a kept backup needs. Returns how many were deleted.
  std::size_t cleanup(std::size_t keep_count, std::chrono::hours keep_age);
  // Rebuilds the backup's files in a temporary folder, then replaces the db's files
  // atomically (clear_existing) or returns the folder for a merge. Throws Corruption when
  // verification fails; the current data is then untouched. progress: bytes rebuilt.
  std::string rebuild(const std::string& id, bool verify_first,
                      const ProgressCallback& progress = {});
  // Corruption naming the first problem when id fails verification.
  void verify_or_throw(const std::string& id);
  // Whether id is a logical backup (restored by replay, into any backend).
  bool is_logical(const std::string& id) const { return read_manifest(id).logical; }
  // Replays the logical backup id with its chain, oldest first. Throws Corruption when
  // verification fails (nothing is replayed then).
  void replay(const std::string& id, bool verify_first, const LogicalReplay& replay);

 private:
  std::string path_of(const std::string& id) const;
  // "physical" or "logical": what this backend's backups are (a folder holds one kind).
  std::string kind() const;
  Manifest read_manifest(const std::string& id) const;
  std::vector<Manifest> chain(const std::string& id) const;  // id first, then its parents
  std::vector<std::string> read_index() const;
  void write_index(const std::vector<std::string>& ids);
  void delete_one(const std::string& id, std::vector<std::string>& index);
  void write_physical(const std::string& staging, const std::string& parent, bool compress_files,
                      Manifest& m, const ProgressCallback& progress);

  const std::string backup_dir_;
  const std::string db_;
  const std::string db_folder_;
  StorageBackend& backend_;
  const ValueDecoder decode_;
};

}  // namespace nadb::backup
