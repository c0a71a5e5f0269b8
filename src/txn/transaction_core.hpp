// TransactionCore: the state of one Transaction — its staged writes, what it has read, its
// lifecycle — over a TransactionHost.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "nadb/transaction.hpp"
#include "txn/transaction_host.hpp"
#include "txn/transaction_registry.hpp"

namespace nadb::txn {

class TransactionCore {
 public:
  // host is weak: a transaction may outlive its store, and then every operation throws
  // InvalidArgument instead of touching a store that is gone.
  TransactionCore(std::weak_ptr<txn::TransactionHost> host,
                  std::shared_ptr<txn::TransactionRegistry> registry, IsolationLevel level);
  ~TransactionCore();

  void set(std::string_view key, std::string_view value, const std::vector<std::string>& tags,
           std::optional<std::chrono::seconds> ttl);
  bool remove(std::string_view key);
  std::optional<std::string> get(std::string_view key);
  void batch_set(const std::vector<BatchItem>& items);
  std::size_t batch_remove(const std::vector<std::string>& keys);
  void commit(bool force_sync);
  void rollback();

  std::size_t operation_count() const { return ops_.size(); }
  const std::string& id() const { return id_; }
  TransactionState state() const { return state_; }

 private:
  // The latest staged write of a key: its raw value, or a removal.
  struct Staged {
    bool removed = false;
    std::string value;
  };
  void check_active() const;
  // The store, kept alive for the operation; InvalidArgument when it was destroyed.
  std::shared_ptr<txn::TransactionHost> host() const;
  // The key's value as the store has it now; Serializable remembers the version seen.
  std::optional<std::string> read_store(std::string_view key);
  bool visible(std::string_view key);  // exists as this transaction sees it
  void finish(TransactionState state, txn::TransactionRegistry::Outcome outcome);

  const std::weak_ptr<txn::TransactionHost> host_;
  std::shared_ptr<txn::TransactionRegistry> registry_;
  const IsolationLevel level_;
  const std::string id_;
  const txn::TransactionRegistry::Clock::time_point started_;
  TransactionState state_ = TransactionState::Active;
  std::vector<WriteOp> ops_;                        // in staging order
  std::unordered_map<std::string, Staged> staged_;  // read-your-writes
  std::map<std::string, std::uint64_t> reads_;      // Serializable: version read, 0 = absent
};

}  // namespace nadb::txn
