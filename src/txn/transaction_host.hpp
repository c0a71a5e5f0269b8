// TransactionHost: what a transaction needs from its store (implemented by the store's core),
// so that txn/ depends on an interface rather than on store/.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "nadb/backend.hpp"
#include "nadb/options.hpp"

namespace nadb::txn {

class TransactionHost {
 public:
  virtual ~TransactionHost() = default;
  // A validated, encoded Put / Remove (InvalidArgument on bad input).
  virtual WriteOp stage_put(std::string_view key, std::string_view value,
                            const std::vector<std::string>& tags,
                            std::optional<std::chrono::seconds> ttl, std::int64_t now_ms) = 0;
  virtual WriteOp stage_remove(std::string_view key) = 0;
  // InvalidArgument if key is not a valid key.
  virtual void check_key(std::string_view key) const = 0;
  // The live record of key (value still encoded).
  virtual std::optional<StoredRecord> read(std::string_view key, std::int64_t now_ms) = 0;
  virtual std::string decode(StoredRecord& record) = 0;
  // Applies ops as one atomic batch.
  virtual BatchResult apply_batch(std::vector<WriteOp> ops, std::int64_t now_ms, bool sync) = 0;
  virtual const Options& options() const = 0;
  // Whether the store's durability syncs every write before it returns.
  virtual bool sync_writes() const = 0;
};

}  // namespace nadb::txn
