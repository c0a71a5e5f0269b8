// Value types returned by KeyValueStore and shared with backends.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace nadb {

using Clock = std::chrono::system_clock;
using TimePoint = std::chrono::time_point<Clock, std::chrono::milliseconds>;

// Called now and then during long work (export, import, sync, compaction, backup, restore)
// with how much is done and the total when known, else 0; the unit is the operation's own
// (keys or bytes, as its contract says). Called in the working thread: keep it short; an
// exception from it aborts the work as any failure would.
using ProgressCallback = std::function<void(std::size_t done, std::size_t total)>;

struct Metadata {
  std::string key;
  std::vector<std::string> tags;  // sorted, no duplicates
  std::uint64_t size = 0;         // raw value bytes
  std::uint64_t stored_size = 0;  // value bytes as stored (after compression)
  TimePoint created_at{};         // first write of this key (kept by overwrites)
  TimePoint updated_at{};         // last write
  std::optional<TimePoint> expires_at;
  bool compressed = false;
  std::uint64_t version = 0;  // increases with every write of any key in the db
};

struct Entry {
  std::string value;
  Metadata metadata;
};

// One item of KeyValueStore::batch_set.
struct BatchItem {
  std::string key;
  std::string value;
  std::vector<std::string> tags;
  std::optional<std::chrono::seconds> ttl;
};

// One page of an ordered key scan. Pass next_cursor back to get the following page; it is
// empty when there is nothing more.
struct KeyPage {
  std::vector<std::string> keys;
  std::string next_cursor;
};

// What one compaction did.
struct CompactionReport {
  std::size_t segments_compacted = 0;
  std::size_t segments_written = 0;
  std::uint64_t bytes_before = 0;  // bytes of the segments compacted
  std::uint64_t bytes_after = 0;   // bytes of the segments written
  std::size_t records_kept = 0;
  std::size_t records_dropped = 0;
  double duration_ms = 0;
};

}  // namespace nadb
