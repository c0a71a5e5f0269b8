// BatchPlanner: what applying a WriteBatch does, decided once for the engine and the memory
// backend. Given the live version of each op's key before the batch, it checks the conditions
// and returns the writes, in op order, with what each needs to know about the key. The redis
// backend's lua/apply.lua states the same rules in Lua; the backend conformance kit
// (tests/backend/) proves the three agree.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "nadb/backend.hpp"

namespace nadb::engine {

struct PlannedWrite {
  enum class Effect : std::uint8_t {
    Put,     // store the op's value, tags and expiry
    Remove,  // delete the live key
    Expire,  // rewrite the live key's current record with the op's expiry
  };
  std::size_t op = 0;  // index in batch.ops
  Effect effect = Effect::Put;
  // The key is live when this op runs (after the batch's earlier ops: one whose expiry has
  // passed at the batch's instant leaves it absent). A Put of a live key keeps its creation time
  // (the one before the batch, or the batch's now if the batch created it).
  bool key_live = false;
};

struct BatchPlan {
  // applied, failed_op and each op's `existed`; the caller sets versions as it writes.
  BatchResult result;
  std::vector<PlannedWrite> writes;  // empty when a condition failed
};

// The version of the live key of batch.ops[op] before the batch (nullopt: not live).
using LiveVersion = std::function<std::optional<std::uint64_t>(std::size_t op)>;

// Plans a batch that passed check_batch_rules and has no namespace-wide op. Throws nothing.
BatchPlan plan_batch(const WriteBatch& batch, const LiveVersion& live_version);

// Whether batch is a Clear or RemoveExpired batch (check_batch_rules keeps those alone).
inline bool is_namespace_wide(const WriteBatch& batch) {
  return batch.ops.size() == 1 && (batch.ops[0].kind == WriteOp::Kind::Clear ||
                                   batch.ops[0].kind == WriteOp::Kind::RemoveExpired);
}

}  // namespace nadb::engine
