// Rules every backend enforces on a WriteBatch before applying it.
#pragma once

#include "nadb/backend.hpp"

namespace nadb::backends {

// InvalidArgument when an Expire op names a key that an earlier op of the batch writes (the
// expiry would apply to a record the batch has not made yet), when an expiry instant lies
// outside [0, kMaxExpiresMs], or when the batch carries more than max_batch_bytes.
void check_batch_rules(const WriteBatch& batch, std::uint64_t max_batch_bytes);
// What a batch op carries, as check_batch_rules counts it.
std::uint64_t op_bytes(const WriteOp& op);

}  // namespace nadb::backends
