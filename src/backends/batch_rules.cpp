#include "backends/batch_rules.hpp"

#include <set>

#include "nadb/errors.hpp"

namespace nadb::backends {

void check_batch_rules(const WriteBatch& batch) {
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

}  // namespace nadb::backends
