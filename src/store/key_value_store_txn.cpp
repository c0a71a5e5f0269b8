// KeyValueStore's transactions: a Transaction over the store's core (its TransactionHost).
#include "nadb/errors.hpp"
#include "nadb/store.hpp"
#include "store/store_core.hpp"
#include "txn/transaction_core.hpp"

namespace nadb {

Transaction KeyValueStore::transaction(IsolationLevel level) {
  auto lock = core_->use();
  core_->check_writable("a transaction");
  if (!core_->options_.enable_transactions) {
    throw NotSupported("transactions are disabled (Options::enable_transactions is false)");
  }
  return Transaction(std::make_unique<txn::TransactionCore>(core_, core_->transactions_, level));
}

void KeyValueStore::run_transaction(const std::function<void(Transaction&)>& fn,
                                    IsolationLevel level, int max_retries) {
  if (max_retries < 0) throw InvalidArgument("max_retries must not be negative");
  for (int attempt = 0;; ++attempt) {
    Transaction tx = transaction(level);
    try {
      fn(tx);
      if (tx.state() == TransactionState::Active) tx.commit();
      return;
    } catch (const TransactionConflict&) {
      if (attempt >= max_retries) throw;
    }
  }
}

}  // namespace nadb
