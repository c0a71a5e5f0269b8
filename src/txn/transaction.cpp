// Transaction: the public handle, forwarding to TransactionCore.
#include "nadb/transaction.hpp"

#include "txn/transaction_core.hpp"

namespace nadb {

Transaction::Transaction(std::unique_ptr<TransactionCore> core) : core_(std::move(core)) {}
Transaction::Transaction(Transaction&&) noexcept = default;
Transaction& Transaction::operator=(Transaction&&) noexcept = default;
Transaction::~Transaction() = default;  // TransactionCore rolls back if still active

void Transaction::set(std::string_view key, std::string_view value,
                      const std::vector<std::string>& tags) {
  core_->set(key, value, tags, std::nullopt);
}
void Transaction::set(std::string_view key, std::string_view value, const SetOptions& options) {
  core_->set(key, value, options.tags, options.ttl);
}
void Transaction::set_with_ttl(std::string_view key, std::string_view value,
                               std::chrono::seconds ttl, const std::vector<std::string>& tags) {
  core_->set(key, value, tags, ttl);
}
bool Transaction::remove(std::string_view key) {
  return core_->remove(key);
}
std::optional<std::string> Transaction::get(std::string_view key) {
  return core_->get(key);
}
void Transaction::batch_set(const std::vector<BatchItem>& items) {
  core_->batch_set(items);
}
std::size_t Transaction::batch_remove(const std::vector<std::string>& keys) {
  return core_->batch_remove(keys);
}
std::size_t Transaction::operation_count() const {
  return core_->operation_count();
}
const std::string& Transaction::id() const {
  return core_->id();
}
TransactionState Transaction::state() const {
  return core_->state();
}
void Transaction::commit() {
  core_->commit(false);
}
void Transaction::commit(Durability durability) {
  core_->commit(durability == Durability::Sync);
}
void Transaction::rollback() {
  core_->rollback();
}

}  // namespace nadb
