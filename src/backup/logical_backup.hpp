// Logical backups, for backends without files (redis): per namespace, a JSONL file of its
// keys (every key, or those written since the parent) and a file of the keys deleted since
// the parent. A restore replays a chain oldest first (docs/FORMAT.md, "Logical backups").
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "backup/jsonl.hpp"
#include "backup/manifest.hpp"
#include "nadb/backend.hpp"

namespace nadb::backup {

// The backend's change clock may step back (NTP) by this much: an incremental backup takes
// every change from this long before its parent's snapshot began (taking one twice is
// harmless).
inline constexpr std::int64_t kClockStepMs = 1'000;

// The raw value of a stored record (the store's decompression).
using ValueDecoder = std::function<std::string(StoredRecord&)>;

// Writes the files of a logical snapshot of every namespace into folder and records them in
// m (files, namespaces, key_count, snapshot_ms, logical). parent_snapshot_ms 0: a full
// backup; otherwise only what changed since then. Throws InvalidArgument when the backend
// may have forgotten deletes since then (older than its tombstone retention), NotSupported
// when the backend cannot list namespaces or changes. progress gets the keys written so far
// (total unknown: 0).
void write_logical_snapshot(StorageBackend& backend, const ValueDecoder& decode,
                            const std::string& folder, std::int64_t parent_snapshot_ms,
                            bool compress, Manifest& m, const ProgressCallback& progress);

struct LogicalReplay {
  std::function<void(const std::string& ns, const std::vector<JsonlEntry>& entries)> put;
  std::function<void(const std::string& ns, const std::vector<std::string>& keys)> remove;
};

// Replays the files of m (stored in folder) in batches. Throws Corruption for a file that
// does not parse (verification runs before, so this means damage after it).
void replay_logical_snapshot(const Manifest& m, const std::string& folder,
                             const LogicalReplay& replay);

}  // namespace nadb::backup
