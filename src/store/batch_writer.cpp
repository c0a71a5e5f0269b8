#include "store/batch_writer.hpp"

#include <algorithm>

#include "store/store_core.hpp"

namespace nadb::store {

BatchWriter::BatchWriter(StoreCore& core, bool sync)
    : core_(core),
      sync_(sync),
      max_bytes_(std::min<std::uint64_t>(kMaxBytes, core.capabilities_.max_batch_bytes / 8)) {
  core.assert_in_use();
}

void BatchWriter::add(WriteOp op) {
  std::uint64_t bytes = op_bytes(op);
  // One namespace per batch: on a Redis Cluster namespaces live in different slots, and one
  // batch is one script, which runs in one slot.
  if (!ops_.empty() &&
      (ops_.size() == kMaxOps || bytes_ + bytes > max_bytes_ || ops_.back().ns != op.ns))
    finish();
  bytes_ += bytes;
  ops_.push_back(std::move(op));
}

void BatchWriter::finish() {
  if (ops_.empty()) return;
  written_ += ops_.size();
  core_.apply_locked(std::move(ops_), util::now_ms(), sync_);
  ops_.clear();
  bytes_ = 0;
}

}  // namespace nadb::store
