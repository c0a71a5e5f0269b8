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
  if (op.ns != ns_) {
    finish();
    ns_ = op.ns;
  }
  std::uint64_t bytes = op_bytes(op);
  // What all queues hold stays bounded, however many groups (shards) there are.
  if (queued_ops_ == kMaxQueuedOps || queued_bytes_ + bytes > kQueuedBytesPerBatch * max_bytes_)
    finish();
  Queue& queue = queues_[core_.backend_->batch_group(op.ns, op.key)];
  if (!queue.ops.empty() && (queue.ops.size() == kMaxOps || queue.bytes + bytes > max_bytes_))
    apply(queue);
  queue.bytes += bytes;
  queue.ops.push_back(std::move(op));
  queued_bytes_ += bytes;
  ++queued_ops_;
  ++added_;
}

void BatchWriter::apply(Queue& queue) {
  if (queue.ops.empty()) return;
  queued_ops_ -= queue.ops.size();
  queued_bytes_ -= queue.bytes;
  core_.apply_locked(std::move(queue.ops), util::now_ms(), sync_);
  queue.ops.clear();
  queue.bytes = 0;
}

void BatchWriter::finish() {
  for (auto& [group, queue] : queues_)
    apply(queue);
}

}  // namespace nadb::store
