// check_batch_rules (nadb/backend.hpp): every backend's gate before it applies a batch. It
// lives with the engine, the lowest layer that applies batches.
#include <set>

#include "nadb/backend.hpp"
#include "nadb/errors.hpp"

namespace nadb {

std::uint64_t op_bytes(const WriteOp& op) {
  std::uint64_t bytes = op.key.size() + op.value.size() + 64;
  for (const auto& tag : op.tags)
    bytes += tag.size() + 8;
  return bytes;
}

void check_batch_rules(const WriteBatch& batch, std::uint64_t max_batch_bytes) {
  std::uint64_t bytes = 0;
  for (const WriteOp& op : batch.ops) {
    bytes += op_bytes(op);
    if (op.expires_ms < 0 || op.expires_ms > kMaxExpiresMs) {
      throw InvalidArgument("expiry instant " + std::to_string(op.expires_ms) +
                            " ms is outside [0, " + std::to_string(kMaxExpiresMs) + "]");
    }
    bool namespace_wide =
        op.kind == WriteOp::Kind::Clear || op.kind == WriteOp::Kind::RemoveExpired;
    if (namespace_wide &&
        (batch.ops.size() > 1 || op.condition != WriteOp::Condition::None || !op.key.empty())) {
      throw InvalidArgument(
          "a Clear or RemoveExpired op names a namespace only and is alone in its batch");
    }
  }
  if (bytes > max_batch_bytes) {
    throw InvalidArgument("a batch of " + std::to_string(bytes) + " bytes exceeds this backend's " +
                          std::to_string(max_batch_bytes) + "; split it");
  }
  if (batch.ops.size() < 2) return;
  std::set<std::pair<std::string_view, std::string_view>> written;
  for (const WriteOp& op : batch.ops) {
    if (op.kind == WriteOp::Kind::Check) continue;
    std::pair<std::string_view, std::string_view> id{op.ns, op.key};
    if (op.kind == WriteOp::Kind::Expire && written.count(id) != 0)
      throw InvalidArgument("a batch cannot change the expiry of a key it also writes");
    written.insert(id);
  }
}

}  // namespace nadb
