// Transaction: the public handle, forwarding to TransactionCore.
#include "nadb/transaction.hpp"

#include "nadb/errors.hpp"
#include "txn/transaction_core.hpp"

namespace nadb {

using txn::TransactionCore;

Transaction::Transaction(std::unique_ptr<TransactionCore> core) : core_(std::move(core)) {}

TransactionCore& Transaction::core() const {
  if (!core_) throw InvalidArgument("this Transaction was moved from; use the one it moved to");
  return *core_;
}
Transaction::Transaction(Transaction&&) noexcept = default;
Transaction& Transaction::operator=(Transaction&&) noexcept = default;
Transaction::~Transaction() = default;  // TransactionCore rolls back if still active

void Transaction::set(std::string_view key, std::string_view value,
                      const std::vector<std::string>& tags) {
  core().set(key, value, tags, std::nullopt);
}
void Transaction::set(std::string_view key, std::string_view value, const SetOptions& options) {
  core().set(key, value, options.tags, options.ttl);
}
void Transaction::set_with_ttl(std::string_view key, std::string_view value,
                               std::chrono::seconds ttl, const std::vector<std::string>& tags) {
  core().set(key, value, tags, ttl);
}
bool Transaction::remove(std::string_view key) {
  return core().remove(key);
}
std::optional<std::string> Transaction::get(std::string_view key) {
  return core().get(key);
}
void Transaction::batch_set(const std::vector<BatchItem>& items) {
  core().batch_set(items);
}
std::size_t Transaction::batch_remove(const std::vector<std::string>& keys) {
  return core().batch_remove(keys);
}
std::size_t Transaction::operation_count() const {
  return core().operation_count();
}
const std::string& Transaction::id() const {
  return core().id();
}
TransactionState Transaction::state() const {
  return core().state();
}
void Transaction::commit() {
  core().commit(false);
}
void Transaction::commit(Durability durability) {
  core().commit(durability == Durability::Sync);
}
void Transaction::rollback() {
  core().rollback();
}

}  // namespace nadb
