// Transaction: writes staged and applied atomically at commit, with read-your-writes and
// optional Serializable validation of what was read.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "nadb/options.hpp"
#include "nadb/types.hpp"

namespace nadb {

enum class TransactionState { Active, Committed, RolledBack, Failed };

namespace txn {
class TransactionCore;  // src/txn/transaction_core.hpp
}  // namespace txn

// From KeyValueStore::transaction(). Not thread-safe (one thread uses a transaction); must not
// outlive its store. RAII: destroyed while Active, it rolls back (so an exception leaving the
// block rolls back). Every operation on a finished transaction throws InvalidArgument.
// Staging validates like the store does and stages nothing on error.
class Transaction {
 public:
  Transaction(Transaction&&) noexcept;
  Transaction& operator=(Transaction&&) noexcept;
  ~Transaction();  // rolls back if still active; never throws

  void set(std::string_view key, std::string_view value, const std::vector<std::string>& tags = {});
  void set(std::string_view key, std::string_view value, const SetOptions& options);
  void set_with_ttl(std::string_view key, std::string_view value, std::chrono::seconds ttl,
                    const std::vector<std::string>& tags = {});
  // Stages a delete; true if the key exists as this transaction sees it.
  bool remove(std::string_view key);
  // The value as this transaction sees it: its own staged writes first, then the store.
  // Serializable: records the version read (or that the key was absent).
  std::optional<std::string> get(std::string_view key);
  void batch_set(const std::vector<BatchItem>& items);
  // Stages deletes; returns how many of the keys exist as this transaction sees them.
  std::size_t batch_remove(const std::vector<std::string>& keys);

  // Single operations staged so far (a batch of n counts n).
  std::size_t operation_count() const;
  const std::string& id() const;
  TransactionState state() const;

  // Applies every staged operation as one atomic batch, durable as the store's durability
  // says. Throws TransactionConflict (Serializable: a key read has changed), or
  // TransactionTimeout (older than Options::transaction_timeout); the state is then Failed
  // and nothing was applied.
  void commit();
  // As commit(), fsynced before returning when durability is Durability::Sync.
  void commit(Durability durability);
  // Discards everything staged; never writes.
  void rollback();

 private:
  friend class KeyValueStore;
  explicit Transaction(std::unique_ptr<txn::TransactionCore> core);
  txn::TransactionCore& core() const;  // InvalidArgument on a moved-from Transaction
  std::unique_ptr<txn::TransactionCore> core_;
};

}  // namespace nadb
