// BatchWriter: what replays (restores, merges, imports, syncs) write goes out in batches of one
// namespace and batch group each (StorageBackend::batch_group: a Redis Cluster runs a batch in
// one slot, and a sharded namespace has a slot per shard), bounded by count and by bytes,
// far below what one batch may carry on the backend, so that no
// replay fails for the size of what it copies (1,000 values of 1 MiB once made one batch
// larger than Redis takes, after a restore had already emptied the namespace). Each batch is
// atomic, the stream is not: restores get their atomicity from a staging namespace or a
// folder exchange.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "nadb/backend.hpp"

namespace nadb::store {

class StoreCore;

class BatchWriter {
 public:
  // Writes through core's backend (the caller holds core's lifecycle lock: asserted in debug
  // builds), fsynced per batch when sync.
  BatchWriter(StoreCore& core, bool sync);
  // Queues op in its group; applies that group's queued batch first when op would make it too
  // large, and every group's when op is of another namespace or the queues hold 4 batches'
  // worth. Ops of one key keep their order (a key is in one group); ops of different keys may
  // be applied in another order.
  void add(WriteOp op);
  // Applies what is queued.
  void finish();
  // Ops added so far (all applied once finish returns).
  std::size_t added() const { return added_; }

 private:
  static constexpr std::size_t kMaxOps = 1000;
  static constexpr std::uint64_t kMaxBytes = 4 << 20;
  // All queues together hold at most 4 batches' worth: with many groups, each is applied
  // smaller rather than the memory grow with the group count.
  static constexpr std::size_t kMaxQueuedOps = 4 * kMaxOps;
  static constexpr std::uint64_t kQueuedBytesPerBatch = 4;

  struct Queue {
    std::vector<WriteOp> ops;
    std::uint64_t bytes = 0;
  };
  void apply(Queue& queue);

  StoreCore& core_;
  const bool sync_;
  const std::uint64_t max_bytes_;
  std::string ns_;                         // the namespace of the queued ops
  std::map<std::uint32_t, Queue> queues_;  // batch group -> its queued ops
  std::size_t queued_ops_ = 0;             // in all queues
  std::uint64_t queued_bytes_ = 0;
  std::size_t added_ = 0;
};

}  // namespace nadb::store
