// Backup manifests and the backup index: JSON documents, each carrying a SHA-256 of its own
// content so that a flipped byte anywhere is detected (docs/FORMAT.md, "Physical backups").
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "nadb/backup.hpp"

namespace nadb::backup {

inline constexpr int kBackupFormatVersion = 1;

struct ManifestFile {
  std::string name;         // segment file name
  std::uint64_t size = 0;   // bytes stored in the backup
  std::string sha256;       // of the stored bytes
  bool compressed = false;  // stored as one zstd frame
  std::uint64_t raw_size = 0;
  std::string raw_sha256;  // of the restored file
};

struct Manifest {
  BackupInfo info;
  // Logical backups (backends without files): JSONL files per namespace, replayed on
  // restore; snapshot_ms is when the snapshot began (the next incremental starts there).
  bool logical = false;
  std::int64_t snapshot_ms = 0;
  std::vector<std::string> live_files;  // every segment of the snapshot, in order
  std::vector<ManifestFile> files;      // those stored in this backup
};

// seal, when given, receives the checksum sealing the text (BackupInfo::checksum).
std::string manifest_to_json(const Manifest& manifest, std::string* seal = nullptr);
// Throws Corruption when the text is not a manifest or fails its checksum.
Manifest manifest_from_json(const std::string& text, const std::string& what);

// The index of a backup folder: what kind of backups it holds ("physical" or "logical"; empty
// in an index written before the kind was recorded) and their ids in creation order.
struct BackupIndex {
  std::string kind;
  std::vector<std::string> ids;
};
std::string index_to_json(const BackupIndex& index);
BackupIndex index_from_json(const std::string& text, const std::string& what);

}  // namespace nadb::backup
