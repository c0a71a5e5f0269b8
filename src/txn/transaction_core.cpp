#include "txn/transaction_core.hpp"

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <random>

#include "nadb/errors.hpp"
#include "obs/log.hpp"
#include "obs/metrics.hpp"
#include "util/clock.hpp"

namespace nadb::txn {
namespace {

// Unique in the process and, with the pid and a random part, across processes.
std::string new_transaction_id() {
  static std::atomic<std::uint64_t> counter{0};
  static const std::uint32_t salt = std::random_device{}();
  char id[64];
  std::snprintf(id, sizeof id, "tx-%d-%08x-%llu", static_cast<int>(::getpid()), salt,
                static_cast<unsigned long long>(counter.fetch_add(1) + 1));
  return id;
}

const char* state_name(TransactionState state) {
  switch (state) {
    case TransactionState::Active:
      return "active";
    case TransactionState::Committed:
      return "committed";
    case TransactionState::RolledBack:
      return "rolled back";
    case TransactionState::Failed:
      return "failed";
  }
  return "?";
}

}  // namespace

TransactionCore::TransactionCore(std::weak_ptr<txn::TransactionHost> host,
                                 std::shared_ptr<txn::TransactionRegistry> registry,
                                 IsolationLevel level)
    : host_(std::move(host)),
      registry_(std::move(registry)),
      level_(level),
      id_(new_transaction_id()),
      started_(txn::TransactionRegistry::Clock::now()) {
  registry_->started(id_, started_);
}

std::shared_ptr<txn::TransactionHost> TransactionCore::host() const {
  auto host = host_.lock();
  if (!host) throw InvalidArgument("transaction " + id_ + ": its store no longer exists");
  return host;
}

TransactionCore::~TransactionCore() {
  if (state_ == TransactionState::Active)
    finish(TransactionState::RolledBack, txn::TransactionRegistry::Outcome::RolledBack);
}

void TransactionCore::check_active() const {
  if (state_ != TransactionState::Active) {
    throw InvalidArgument("transaction " + id_ + " is " + state_name(state_) + "; start a new one");
  }
}

void TransactionCore::finish(TransactionState state, txn::TransactionRegistry::Outcome outcome) {
  using Outcome = txn::TransactionRegistry::Outcome;
  const char* what = outcome == Outcome::Committed  ? "transaction committed"
                     : outcome == Outcome::Conflict ? "transaction conflict"
                     : outcome == Outcome::Timeout  ? "transaction timed out"
                                                    : "transaction rolled back";
  double age_ms =
      std::chrono::duration<double, std::milli>(txn::TransactionRegistry::Clock::now() - started_)
          .count();
  bool unusual = outcome == Outcome::Conflict || outcome == Outcome::Timeout;
  obs::logger(obs::Component::Txn)
      .log(unusual ? LogLevel::Info : LogLevel::Debug, what,
           {{"tx_id", id_}, {"ops", ops_.size()}, {"duration_ms", age_ms}});
  state_ = state;
  ops_.clear();
  staged_.clear();
  reads_.clear();
  registry_->ended(id_, outcome);
}

void TransactionCore::set(std::string_view key, std::string_view value,
                          const std::vector<std::string>& tags,
                          std::optional<std::chrono::seconds> ttl) {
  check_active();
  ops_.push_back(host()->stage_put(key, value, tags, ttl, util::now_ms()));  // validates first
  staged_[std::string(key)] = Staged{false, std::string(value)};
}

std::optional<std::string> TransactionCore::read_store(std::string_view key) {
  auto record = host()->read(key, util::now_ms());
  if (level_ == IsolationLevel::Serializable) {
    reads_.emplace(std::string(key), record ? record->meta.version : 0);  // the first read counts
  }
  if (!record) return std::nullopt;
  return host()->decode(*record);
}

bool TransactionCore::visible(std::string_view key) {
  auto it = staged_.find(std::string(key));
  if (it != staged_.end()) return !it->second.removed;
  return read_store(key).has_value();
}

bool TransactionCore::remove(std::string_view key) {
  check_active();
  WriteOp op = host()->stage_remove(key);  // validates first
  bool existed = visible(key);
  ops_.push_back(std::move(op));
  staged_[std::string(key)] = Staged{true, {}};
  return existed;
}

std::optional<std::string> TransactionCore::get(std::string_view key) {
  check_active();
  host()->check_key(key);
  auto it = staged_.find(std::string(key));
  if (it != staged_.end()) {
    if (it->second.removed) return std::nullopt;
    return it->second.value;
  }
  return read_store(key);
}

void TransactionCore::batch_set(const std::vector<BatchItem>& items) {
  check_active();
  std::int64_t now = util::now_ms();
  std::vector<WriteOp> ops;
  ops.reserve(items.size());
  for (const auto& item : items)
    ops.push_back(host()->stage_put(item.key, item.value, item.tags, item.ttl, now));
  for (std::size_t i = 0; i < items.size(); ++i) {
    ops_.push_back(std::move(ops[i]));
    staged_[items[i].key] = Staged{false, items[i].value};
  }
}

std::size_t TransactionCore::batch_remove(const std::vector<std::string>& keys) {
  check_active();
  std::vector<WriteOp> ops;
  ops.reserve(keys.size());
  for (const auto& key : keys)
    ops.push_back(host()->stage_remove(key));
  std::size_t existed = 0;
  for (std::size_t i = 0; i < keys.size(); ++i) {
    if (visible(keys[i])) ++existed;
    ops_.push_back(std::move(ops[i]));
    staged_[keys[i]] = Staged{true, {}};
  }
  return existed;
}

void TransactionCore::commit(bool force_sync) {
  static obs::Histogram& commits = obs::component_histogram("txn.commit");
  obs::Timed timed(commits);
  check_active();
  std::shared_ptr<txn::TransactionHost> store = host();  // alive until the commit is done
  auto age = txn::TransactionRegistry::Clock::now() - started_;
  if (age > store->options().transaction_timeout) {
    finish(TransactionState::Failed, txn::TransactionRegistry::Outcome::Timeout);
    throw TransactionTimeout("transaction " + id_ + " is older than transaction_timeout (" +
                             std::to_string(store->options().transaction_timeout.count()) + " s)");
  }
  // Serializable: every key read must still have the version seen (or still be absent). The
  // checks go first in the same batch, so validation and writes are one atomic step.
  std::vector<WriteOp> ops;
  ops.reserve(reads_.size() + ops_.size());
  for (const auto& [key, version] : reads_) {
    WriteOp check = store->stage_remove(key);
    check.kind = WriteOp::Kind::Check;
    check.condition = version == 0 ? WriteOp::Condition::Absent : WriteOp::Condition::Version;
    check.expected_version = version;
    ops.push_back(std::move(check));
  }
  for (auto& op : ops_)
    ops.push_back(std::move(op));
  bool sync = force_sync || store->sync_writes();
  BatchResult result;
  try {
    result = ops.empty() ? BatchResult{} : store->apply_batch(std::move(ops), util::now_ms(), sync);
  } catch (...) {
    finish(TransactionState::Failed, txn::TransactionRegistry::Outcome::RolledBack);
    throw;
  }
  if (!result.applied) {
    finish(TransactionState::Failed, txn::TransactionRegistry::Outcome::Conflict);
    throw TransactionConflict("transaction " + id_ +
                              ": a key it read was changed by another writer before commit; "
                              "nothing was applied");
  }
  finish(TransactionState::Committed, txn::TransactionRegistry::Outcome::Committed);
}

void TransactionCore::rollback() {
  check_active();
  finish(TransactionState::RolledBack, txn::TransactionRegistry::Outcome::RolledBack);
}

}  // namespace nadb::txn
