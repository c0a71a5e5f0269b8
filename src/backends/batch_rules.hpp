// Rules every backend enforces on a WriteBatch before applying it.
#pragma once

#include "nadb/backend.hpp"

namespace nadb::backends {

// InvalidArgument when an Expire op names a key that an earlier op of the batch writes: the
// expiry would apply to a record the batch has not made yet.
void check_batch_rules(const WriteBatch& batch);

}  // namespace nadb::backends
