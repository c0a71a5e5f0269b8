// Backups, exports and synchronisation between stores: reports and options.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "nadb/types.hpp"

namespace nadb {

struct ExportReport {
  std::string path;
  std::size_t keys = 0;
  std::uint64_t value_bytes = 0;  // raw value bytes exported
  double duration_ms = 0;
};

struct ImportOptions {
  // false: the first bad line aborts the import before anything is written;
  // true: bad lines are skipped and listed in ImportReport::invalid_lines.
  bool skip_invalid = false;
  ProgressCallback progress;
};

struct ImportReport {
  std::size_t lines = 0;  // entry lines read
  std::size_t imported = 0;
  std::size_t skipped_expired = 0;         // already expired: not imported
  std::vector<std::string> invalid_lines;  // "line N: what was wrong" (skip_invalid only)
  double duration_ms = 0;
};

// A physical backup (fs backend), as its manifest describes it.
struct BackupInfo {
  std::string id;
  std::string type;        // "full" or "incremental"
  std::string parent;      // incremental: the backup it extends
  std::string created_at;  // ISO-8601 UTC with microseconds
  std::string db;
  std::vector<std::string> namespaces;
  std::size_t key_count = 0;       // live keys at the snapshot instant
  std::size_t file_count = 0;      // files stored in this backup
  std::uint64_t stored_bytes = 0;  // their size in the backup
  bool compressed = false;
  // SHA-256 sealing the backup's manifest, which holds every stored file's SHA-256.
  std::string checksum;
};

// What verify_backup_report found; ok when problems is empty.
struct VerifyReport {
  bool ok = true;
  std::vector<std::string> problems;
};

struct SyncReport {
  std::size_t copied = 0;
  std::size_t removed = 0;  // keys of the target the source lacks (remove_extraneous only)
  double duration_ms = 0;
};

}  // namespace nadb
