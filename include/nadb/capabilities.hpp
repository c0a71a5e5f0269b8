// What a backend offers, as KeyValueStore::capabilities() reports it.
#pragma once

#include <cstdint>
#include <string>

namespace nadb {

struct BackendCapabilities {
  std::string name;
  bool persistent = false;  // data survives close and process exit
  bool shared_by_processes = false;
  bool physical_backups = false;  // has segment files a physical backup can copy
  std::uint64_t max_value_size = 0;
  // The most bytes (keys, values, tags) one WriteBatch may carry: larger batches are
  // InvalidArgument. Replays (restore, merge, import, sync) split themselves well below it.
  std::uint64_t max_batch_bytes = 0;
};

}  // namespace nadb
