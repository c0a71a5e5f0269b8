// KeyValueStore's public operations: validate, build the WriteBatch, apply, decode.
#include "nadb/store.hpp"

#include <charconv>
#include <limits>
#include <set>

#include "nadb/errors.hpp"
#include "nadb/sync.hpp"
#include "obs/log.hpp"
#include "obs/metrics.hpp"
#include "store/store_core.hpp"
#include "store/validation.hpp"

namespace nadb {

using store::StoreCore;
using store::StoreOp;
namespace {

using Kind = WriteOp::Kind;
using std::chrono::milliseconds;

void validate_keys(const std::vector<std::string>& keys) {
  for (const auto& key : keys)
    store::validate_key(key);
}

// A value written by increment: decimal text of a signed 64-bit integer.
std::int64_t parse_counter(std::string_view text) {
  std::int64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || text.empty()) {
    throw InvalidArgument("increment: the stored value is not a decimal 64-bit integer");
  }
  return value;
}

}  // namespace

KeyValueStore::KeyValueStore(Options options)
    : core_(std::make_shared<StoreCore>(std::move(options))) {
  if (core_->options_.read_only) return;  // nothing to flush or sweep
  util::MutexLock lock(core_->close_mutex_);
  if (core_->options_.sync) {
    core_->sync_ = core_->options_.sync;
  } else {
    core_->sync_ = std::make_shared<KeyValueSync>(core_->options_.flush_interval);
    core_->owns_sync_ = true;
  }
  core_->sync_->add(this);
  if (core_->owns_sync_) core_->sync_->start();
}

KeyValueStore::~KeyValueStore() {
  try {
    close();
  } catch (const std::exception& e) {
    obs::logger(obs::Component::Store)
        .error("close failed", {{"store", core_->name_}, {"error", e.what()}});
  }
}

void KeyValueStore::close() {
  // Not under lifecycle_mutex_: a sync round holds that lock shared while remove() waits
  // for the round to end.
  util::MutexLock lock(core_->close_mutex_);
  if (core_->sync_) {
    core_->sync_->remove(this);  // first: a running round may be flushing this store
    if (core_->owns_sync_) core_->sync_->stop();
    core_->sync_.reset();
  }
  core_->close();
}

std::string KeyValueStore::name() const {
  return core_->name_;
}

const BackendCapabilities& KeyValueStore::capabilities() const {
  return core_->capabilities_;
}

void KeyValueStore::set(std::string_view key, std::string_view value,
                        const std::vector<std::string>& tags) {
  core_->run(StoreOp::Set, [&] { core_->put(key, value, tags, std::nullopt); });
}

void KeyValueStore::set(std::string_view key, std::string_view value, const SetOptions& options) {
  core_->run(StoreOp::Set, [&] { core_->put(key, value, options.tags, options.ttl); });
}

void KeyValueStore::set_with_ttl(std::string_view key, std::string_view value,
                                 std::chrono::seconds ttl, const std::vector<std::string>& tags) {
  core_->run(StoreOp::Set, [&] { core_->put(key, value, tags, ttl); });
}

std::optional<std::string> KeyValueStore::get(std::string_view key) {
  return core_->run(StoreOp::Get, [&]() -> std::optional<std::string> {
    store::validate_key(key);
    auto record = core_->backend_->get(core_->options_.ns, key, util::now_ms(), false);
    if (!record) return std::nullopt;
    return core_->decode(*record);
  });
}

std::optional<Entry> KeyValueStore::get_with_metadata(std::string_view key) {
  return core_->run(StoreOp::Get, [&]() -> std::optional<Entry> {
    store::validate_key(key);
    auto record = core_->backend_->get(core_->options_.ns, key, util::now_ms(), true);
    if (!record) return std::nullopt;
    return Entry{core_->decode(*record), core_->to_metadata(key, record->meta)};
  });
}

std::optional<Metadata> KeyValueStore::get_metadata(std::string_view key) {
  return core_->run(StoreOp::Metadata, [&]() -> std::optional<Metadata> {
    store::validate_key(key);
    auto meta = core_->backend_->get_meta(core_->options_.ns, key, util::now_ms());
    if (!meta) return std::nullopt;
    return core_->to_metadata(key, *meta);
  });
}

bool KeyValueStore::exists(std::string_view key) {
  return core_->run(StoreOp::Exists, [&] {
    store::validate_key(key);
    return core_->backend_->get_meta(core_->options_.ns, key, util::now_ms()).has_value();
  });
}

bool KeyValueStore::remove(std::string_view key) {
  return core_->run(StoreOp::Remove, [&]() -> bool {
    store::validate_key(key);
    std::vector<WriteOp> ops;
    ops.push_back(core_->make_op(Kind::Remove, key));
    return core_->apply(std::move(ops), util::now_ms()).ops[0].existed;
  });
}

void KeyValueStore::batch_set(const std::vector<BatchItem>& items) {
  core_->run(StoreOp::BatchSet, [&] {
    std::int64_t now = util::now_ms();
    std::vector<WriteOp> ops;
    ops.reserve(items.size());
    for (const auto& item : items) {
      ops.push_back(core_->make_put(item.key, item.value, item.tags, item.ttl, now));
    }
    if (!ops.empty()) core_->apply(std::move(ops), now);
  });
}

std::vector<std::optional<std::string>> KeyValueStore::multi_get(
    const std::vector<std::string>& keys) {
  return core_->run(StoreOp::MultiGet, [&] {
    validate_keys(keys);
    std::int64_t now = util::now_ms();
    std::vector<std::optional<std::string>> values;
    values.reserve(keys.size());
    for (auto& record : core_->backend_->get_many(core_->options_.ns, keys, now, false))
      values.push_back(record ? std::optional(core_->decode(*record)) : std::nullopt);
    return values;
  });
}

std::size_t KeyValueStore::batch_remove(const std::vector<std::string>& keys) {
  return core_->run(StoreOp::BatchRemove, [&] {
    validate_keys(keys);
    std::set<std::string_view> distinct(keys.begin(), keys.end());
    std::vector<WriteOp> ops;
    for (auto key : distinct)
      ops.push_back(core_->make_op(Kind::Remove, key));
    if (ops.empty()) return std::size_t{0};
    BatchResult result = core_->apply(std::move(ops), util::now_ms());
    return static_cast<std::size_t>(std::count_if(result.ops.begin(), result.ops.end(),
                                                  [](const OpResult& r) { return r.existed; }));
  });
}

std::optional<std::chrono::seconds> KeyValueStore::ttl(std::string_view key) {
  return core_->run(StoreOp::Ttl, [&]() -> std::optional<std::chrono::seconds> {
    store::validate_key(key);
    std::int64_t now = util::now_ms();
    auto meta = core_->backend_->get_meta(core_->options_.ns, key, now);
    if (!meta || meta->expires_ms == 0) return std::nullopt;
    return std::chrono::seconds((meta->expires_ms - now + 999) / 1000);
  });
}

bool KeyValueStore::expire(std::string_view key, std::chrono::seconds ttl) {
  return core_->run(StoreOp::Expire, [&]() -> bool {
    store::validate_key(key);
    store::validate_ttl(ttl);
    std::int64_t now = util::now_ms();
    std::vector<WriteOp> ops;
    ops.push_back(core_->make_op(Kind::Expire, key));
    ops[0].expires_ms = now + std::chrono::duration_cast<milliseconds>(ttl).count();
    return core_->apply(std::move(ops), now).ops[0].existed;
  });
}

bool KeyValueStore::persist(std::string_view key) {
  return core_->run(StoreOp::Persist, [&]() -> bool {
    store::validate_key(key);
    for (;;) {  // retried only when another writer changed the key in between
      std::int64_t now = util::now_ms();
      auto meta = core_->backend_->get_meta(core_->options_.ns, key, now);
      if (!meta || meta->expires_ms == 0) return false;
      std::vector<WriteOp> ops;
      ops.push_back(core_->make_op(Kind::Expire, key));
      ops[0].condition = WriteOp::Condition::Version;
      ops[0].expected_version = meta->version;
      if (core_->apply(std::move(ops), now).applied) return true;
    }
  });
}

bool KeyValueStore::set_if_absent(std::string_view key, std::string_view value,
                                  const SetOptions& options) {
  return core_->run(StoreOp::SetIfAbsent, [&]() -> bool {
    std::int64_t now = util::now_ms();
    std::vector<WriteOp> ops;
    ops.push_back(core_->make_put(key, value, options.tags, options.ttl, now));
    ops[0].condition = WriteOp::Condition::Absent;
    return core_->apply(std::move(ops), now).applied;
  });
}

bool KeyValueStore::compare_and_set(std::string_view key, std::uint64_t expected_version,
                                    std::string_view value, const SetOptions& options) {
  return core_->run(StoreOp::CompareAndSet, [&]() -> bool {
    std::int64_t now = util::now_ms();
    std::vector<WriteOp> ops;
    ops.push_back(core_->make_put(key, value, options.tags, options.ttl, now));
    ops[0].condition = WriteOp::Condition::Version;
    ops[0].expected_version = expected_version;
    return core_->apply(std::move(ops), now).applied;
  });
}

std::int64_t KeyValueStore::increment(std::string_view key, std::int64_t delta) {
  return core_->run(StoreOp::Increment, [&] {
    store::validate_key(key);
    for (;;) {  // optimistic: retried only when another writer changed the key in between
      std::int64_t now = util::now_ms();
      auto record = core_->backend_->get(core_->options_.ns, key, now, true);
      std::int64_t current = record ? parse_counter(core_->decode(*record)) : 0;
      std::int64_t next = 0;
      if (__builtin_add_overflow(current, delta, &next)) {
        throw InvalidArgument("increment: " + std::to_string(current) + " + " +
                              std::to_string(delta) + " overflows a 64-bit integer");
      }
      std::vector<WriteOp> ops;
      ops.push_back(core_->make_put(key, std::to_string(next),
                                    record ? record->meta.tags : std::vector<std::string>{},
                                    std::nullopt, now));
      if (record) {
        ops[0].expires_ms = record->meta.expires_ms;
        ops[0].condition = WriteOp::Condition::Version;
        ops[0].expected_version = record->meta.version;
      } else {
        ops[0].condition = WriteOp::Condition::Absent;
      }
      if (core_->apply(std::move(ops), now).applied) return next;
    }
  });
}

KeyPage KeyValueStore::scan(std::string_view prefix, std::string_view cursor, std::size_t limit) {
  return core_->run(StoreOp::Scan, [&] {
    store::validate_limit(limit);
    if (prefix.size() > store::kMaxKeySize || cursor.size() > store::kMaxKeySize) {
      throw InvalidArgument("scan prefix and cursor must be at most 65536 bytes");
    }
    return core_->backend_->scan(core_->options_.ns, prefix, cursor, limit, util::now_ms());
  });
}

std::vector<std::string> KeyValueStore::get_all_keys() {
  std::vector<std::string> keys;
  std::string cursor;
  do {
    KeyPage page = scan("", cursor, store::kMaxPageSize);
    keys.insert(keys.end(), std::make_move_iterator(page.keys.begin()),
                std::make_move_iterator(page.keys.end()));
    cursor = std::move(page.next_cursor);
  } while (!cursor.empty());
  return keys;
}

std::size_t KeyValueStore::count() {
  auto lock = core_->use();
  return core_->backend_->count(core_->options_.ns, util::now_ms());
}

void KeyValueStore::flush() {
  core_->run(StoreOp::Flush, [&] { core_->backend_->flush(); });
}

void KeyValueStore::refresh() {
  auto lock = core_->use();
  core_->backend_->refresh();  // a reload rebuilds the indexes: every query cache misses
}

void KeyValueStore::flushdb() {
  core_->run(StoreOp::Flushdb,
             [&] { core_->remove_keys(WriteOp::Kind::Clear, core_->sync_writes()); });
}

std::size_t KeyValueStore::cleanup_expired() {
  return core_->run(StoreOp::CleanupExpired, [&] {
    return core_->remove_keys(WriteOp::Kind::RemoveExpired, core_->sync_writes());
  });
}

CompactionReport KeyValueStore::compact_storage(const ProgressCallback& progress) {
  return core_->run(StoreOp::Compact, [&] { return core_->backend_->compact(progress); });
}

Stats KeyValueStore::get_stats() {
  auto lock = core_->use();
  Stats s;
  s.name = core_->name_;
  s.backend = core_->backend_->capabilities().name;
  s.key_count = core_->backend_->count(core_->options_.ns, util::now_ms());
  s.bytes_written_raw = core_->bytes_written_raw_.load();
  s.bytes_written_stored = core_->bytes_written_stored_.load();
  s.bytes_read = core_->bytes_read_.load();
  s.components = obs::component_summaries();
  s.compression_ratio =
      s.bytes_written_stored == 0
          ? 1.0
          : static_cast<double>(s.bytes_written_raw) / static_cast<double>(s.bytes_written_stored);
  double ticks_per_ms = util::ticks_per_ms();
  for (std::size_t i = 0; i < core_->histograms_.size(); ++i) {
    OperationStats op = core_->histograms_[i].summary(ticks_per_ms);
    if (op.count > 0) s.operations[store_op_name(static_cast<StoreOp>(i))] = op;
  }
  s.storage = core_->backend_->stats();
  s.index = core_->index_stats();
  txn::TransactionRegistry::Snapshot tx = core_->transactions_->snapshot();
  s.transactions = TransactionStats{
      tx.active, tx.oldest_active_age_ms, tx.commits, tx.rollbacks, tx.conflicts, tx.timeouts};
  return s;
}

}  // namespace nadb
