// BatchWriter: what replays (restores, merges, imports, syncs) write goes out in batches of one
// namespace each (a Redis Cluster runs a batch in one slot), bounded by count and by bytes,
// far below what one batch may carry on the backend, so that no
// replay fails for the size of what it copies (1,000 values of 1 MiB once made one batch
// larger than Redis takes, after a restore had already emptied the namespace). Each batch is
// atomic, the stream is not: restores get their atomicity from a staging namespace or a
// folder exchange.
#pragma once

#include <cstdint>
#include <vector>

#include "nadb/backend.hpp"

namespace nadb::store {

class StoreCore;

class BatchWriter {
 public:
  // Writes through core's backend (the caller holds core's lifecycle lock: asserted in debug
  // builds), fsynced per batch when sync.
  BatchWriter(StoreCore& core, bool sync);
  // Queues op; applies the queued batch first when op would make it too large.
  void add(WriteOp op);
  // Applies what is queued.
  void finish();
  // Ops applied so far.
  std::size_t written() const { return written_; }

 private:
  static constexpr std::size_t kMaxOps = 1000;
  static constexpr std::uint64_t kMaxBytes = 4 << 20;

  StoreCore& core_;
  const bool sync_;
  const std::uint64_t max_bytes_;
  std::vector<WriteOp> ops_;
  std::uint64_t bytes_ = 0;
  std::size_t written_ = 0;
};

}  // namespace nadb::store
