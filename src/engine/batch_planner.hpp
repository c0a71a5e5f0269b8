// BatchPlanner: what applying a WriteBatch does, decided once for the engine and the memory
// backend. Given the live version of each op's key before the batch, it checks the conditions
// and lists the writes, in op order, with what each needs to know about the key. The redis
// backend's lua/apply.lua states the same rules in Lua; the backend conformance kit
// (tests/backend/) proves the three agree.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
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
  // The key is live when this op runs with the record it had before the batch, perhaps
  // rewritten by earlier ops of the batch but never removed by one (a Remove, or a Put or Expire
  // whose expiry has passed at the batch's instant): a Put keeps that creation time. Otherwise
  // the key is created by this Put or an earlier one, at the batch's now.
  bool keeps_created = false;
};

// Plans a batch that passed check_batch_rules and has no namespace-wide op: returns applied,
// failed_op and each op's `existed` (the caller sets versions as it writes), and fills writes
// (cleared first; empty when a condition failed). live_version(i) is the version of the live
// key of batch.ops[i] before the batch, or nullopt. Throws nothing. A template, so that a
// writer's lookup costs no allocation.
template <class LiveVersion>
BatchResult plan_batch(const WriteBatch& batch, LiveVersion&& live_version,
                       std::vector<PlannedWrite>& writes) {
  BatchResult result;
  result.ops.resize(batch.ops.size());
  writes.clear();
  for (std::size_t i = 0; i < batch.ops.size(); ++i) {
    std::optional<std::uint64_t> version = live_version(i);
    result.ops[i].existed = version.has_value();
    if (!batch.ops[i].condition_holds(version)) {
      result.applied = false;
      result.failed_op = i;
      return result;
    }
  }
  // Keys written by earlier ops of the batch: their state after those writes.
  enum class State : std::uint8_t { Absent, LiveSinceBefore, CreatedByBatch };
  std::unordered_map<std::string, State> written;
  auto id_of = [](const WriteOp& op) { return op.ns + '\0' + op.key; };
  for (std::size_t i = 0; i < batch.ops.size(); ++i) {
    const WriteOp& op = batch.ops[i];
    if (op.kind == WriteOp::Kind::Check) continue;
    auto earlier = written.empty() ? written.end() : written.find(id_of(op));
    State state = earlier != written.end() ? earlier->second
                  : result.ops[i].existed  ? State::LiveSinceBefore
                                           : State::Absent;
    if (op.kind != WriteOp::Kind::Put && state == State::Absent) continue;  // nothing to do
    PlannedWrite write{i, PlannedWrite::Effect::Put, state == State::LiveSinceBefore};
    if (op.kind == WriteOp::Kind::Remove) write.effect = PlannedWrite::Effect::Remove;
    if (op.kind == WriteOp::Kind::Expire) write.effect = PlannedWrite::Effect::Expire;
    writes.push_back(write);
    // A Put or Expire whose expiry has passed at the batch's instant leaves the key absent, as
    // a Remove does.
    bool live_after = write.effect != PlannedWrite::Effect::Remove &&
                      (op.expires_ms == 0 || op.expires_ms > batch.now_ms);
    State after = !live_after              ? State::Absent
                  : state == State::Absent ? State::CreatedByBatch
                                           : state;
    if (batch.ops.size() > 1) written[id_of(op)] = after;
  }
  return result;
}

// Whether batch is a Clear or RemoveExpired batch (check_batch_rules keeps those alone).
inline bool is_namespace_wide(const WriteBatch& batch) {
  return batch.ops.size() == 1 && (batch.ops[0].kind == WriteOp::Kind::Clear ||
                                   batch.ops[0].kind == WriteOp::Kind::RemoveExpired);
}

}  // namespace nadb::engine
