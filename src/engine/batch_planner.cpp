#include "engine/batch_planner.hpp"

#include <string>
#include <unordered_map>

namespace nadb::engine {

BatchPlan plan_batch(const WriteBatch& batch, const LiveVersion& live_version) {
  BatchPlan plan;
  BatchResult& result = plan.result;
  result.ops.resize(batch.ops.size());
  std::vector<bool> live_before(batch.ops.size());
  for (std::size_t i = 0; i < batch.ops.size(); ++i) {
    std::optional<std::uint64_t> version = live_version(i);
    live_before[i] = version.has_value();
    result.ops[i].existed = live_before[i];
    if (!batch.ops[i].condition_holds(version)) {
      result.applied = false;
      result.failed_op = i;
      return plan;
    }
  }
  // Keys written by earlier ops of the batch: whether they are live after those writes.
  std::unordered_map<std::string, bool> written;
  auto id_of = [](const WriteOp& op) { return op.ns + '\0' + op.key; };
  plan.writes.reserve(batch.ops.size());
  for (std::size_t i = 0; i < batch.ops.size(); ++i) {
    const WriteOp& op = batch.ops[i];
    if (op.kind == WriteOp::Kind::Check) continue;
    auto earlier = written.empty() ? written.end() : written.find(id_of(op));
    bool live = earlier == written.end() ? live_before[i] : earlier->second;
    if (op.kind != WriteOp::Kind::Put && !live) continue;  // nothing to remove or expire
    PlannedWrite write{i, PlannedWrite::Effect::Put, live};
    if (op.kind == WriteOp::Kind::Remove) write.effect = PlannedWrite::Effect::Remove;
    if (op.kind == WriteOp::Kind::Expire) write.effect = PlannedWrite::Effect::Expire;
    plan.writes.push_back(write);
    // Live after this op: a Put or Expire whose expiry has passed at the batch's instant leaves
    // the key absent, as a Remove does.
    bool live_after = write.effect != PlannedWrite::Effect::Remove &&
                      (op.expires_ms == 0 || op.expires_ms > batch.now_ms);
    if (batch.ops.size() > 1) written[id_of(op)] = live_after;
  }
  return plan;
}

}  // namespace nadb::engine
