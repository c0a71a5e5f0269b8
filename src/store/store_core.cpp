#include "store/store_core.hpp"

#include "nadb/errors.hpp"
#include "obs/log.hpp"
#include "store/compression.hpp"
#include "store/validation.hpp"

namespace nadb::store {

const char* store_op_name(StoreOp op) {
  static constexpr const char* kNames[] = {"set",
                                           "get",
                                           "remove",
                                           "exists",
                                           "get_metadata",
                                           "batch_set",
                                           "multi_get",
                                           "batch_remove",
                                           "ttl",
                                           "expire",
                                           "persist",
                                           "set_if_absent",
                                           "compare_and_set",
                                           "increment",
                                           "scan",
                                           "flush",
                                           "flushdb",
                                           "cleanup_expired",
                                           "compact_storage",
                                           "query_by_tags",
                                           "query_by_tags_advanced",
                                           "complex_query",
                                           "query",
                                           "list_all_tags",
                                           "optimize_indexes",
                                           "rebuild_indexes"};
  static_assert(std::size(kNames) == static_cast<std::size_t>(StoreOp::kCount));
  return kNames[static_cast<std::size_t>(op)];
}

bool store_op_writes(StoreOp op) {
  switch (op) {
    case StoreOp::Set:
    case StoreOp::Remove:
    case StoreOp::BatchSet:
    case StoreOp::BatchRemove:
    case StoreOp::Expire:
    case StoreOp::Persist:
    case StoreOp::SetIfAbsent:
    case StoreOp::CompareAndSet:
    case StoreOp::Increment:
    case StoreOp::Flushdb:
    case StoreOp::CleanupExpired:
    case StoreOp::Compact:
      return true;
    default:
      return false;
  }
}

StoreCore::StoreCore(Options options)
    : options_((store::validate_options(options), std::move(options))),
      name_(options_.db + ":" + options_.ns) {
  if (options_.read_only && options_.backend != "fs") {
    throw NotSupported("Options::read_only is for the fs backend, not '" + options_.backend + "'");
  }
  backend_ = StorageFactory::create(options_);
  if (!backend_) throw InvalidArgument("backend '" + options_.backend + "' returned no backend");
  capabilities_ = backend_->capabilities();
  cache_ = std::make_unique<index::QueryCache>(options_.cache_size);
  dictionaries_ = std::make_unique<ValueDictionaries>(options_.ns, options_);
  attach_index(false);
  obs::logger(obs::Component::Store)
      .info("store opened",
            {{"db", options_.db}, {"ns", options_.ns}, {"backend", options_.backend}});
}

void StoreCore::check_writable(const char* operation) const {
  if (options_.read_only) {
    throw NotSupported(std::string(operation) + " is not possible: the store " + name_ +
                       " is open read-only");
  }
}

void StoreCore::throw_closed() {
  throw InvalidArgument("the store is closed");
}

WriteOp StoreCore::make_op(WriteOp::Kind kind, std::string_view key) const {
  WriteOp op;
  op.kind = kind;
  op.ns = options_.ns;
  op.key = key;
  return op;
}

WriteOp StoreCore::make_put(std::string_view key, std::string_view value,
                            const std::vector<std::string>& tags,
                            std::optional<std::chrono::seconds> ttl, std::int64_t now_ms) {
  store::validate_key(key);
  store::validate_value(value, backend_->capabilities().max_value_size);
  WriteOp op = make_op(WriteOp::Kind::Put, key);
  op.tags = store::normalize_tags(tags);
  if (ttl) {
    store::validate_ttl(*ttl);
    op.expires_ms = now_ms + std::chrono::duration_cast<std::chrono::milliseconds>(*ttl).count();
  }
  encode_value(op, value);
  return op;
}

void StoreCore::encode_value(WriteOp& op, std::string_view value) {
  op.raw_size = value.size();
  std::optional<std::string> framed;
  if (dictionaries_->is_for(value.size())) framed = dictionaries_->compress(*backend_, value);
  if (framed && !framed->empty()) {
    op.codec = ValueCodec::Zstd;
    op.value = std::move(*framed);
    return;
  }
  // Not smaller with the namespace's dictionary: stored as it is, not tried again without.
  store::EncodedValue encoded =
      framed ? store::EncodedValue{}
             : store::compress_value(value, options_.compression, options_.compression_threshold);
  op.codec = encoded.codec;
  op.value = encoded.codec == ValueCodec::None ? std::string(value) : std::move(encoded.bytes);
}

WriteOp StoreCore::make_entry_put(const backup::JsonlEntry& entry, std::int64_t now_ms) {
  store::validate_expiry_instant(entry.expires_ms, now_ms);
  WriteOp op = make_put(entry.key, entry.value, entry.tags, std::nullopt, now_ms);
  op.expires_ms = entry.expires_ms;
  return op;
}

void StoreCore::put(std::string_view key, std::string_view value,
                    const std::vector<std::string>& tags, std::optional<std::chrono::seconds> ttl) {
  std::int64_t now = util::now_ms();
  std::vector<WriteOp> ops;
  ops.push_back(make_put(key, value, tags, ttl, now));
  apply(std::move(ops), now);
}

BatchResult StoreCore::apply(std::vector<WriteOp> ops, std::int64_t now_ms) {
  return apply_locked(std::move(ops), now_ms, sync_writes());
}

std::size_t StoreCore::remove_keys(WriteOp::Kind kind, bool sync) {
  WriteOp op;
  op.kind = kind;
  op.ns = options_.ns;
  return apply_locked({std::move(op)}, util::now_ms(), sync).ops.at(0).removed;
}

BatchResult StoreCore::apply_batch(std::vector<WriteOp> ops, std::int64_t now_ms, bool sync) {
  auto lock = use();
  return apply_locked(std::move(ops), now_ms, sync);
}

BatchResult StoreCore::apply_locked(std::vector<WriteOp> ops, std::int64_t now_ms, bool sync) {
  assert_in_use();
  WriteBatch batch;
  batch.ops = std::move(ops);
  batch.now_ms = now_ms;
  batch.sync = sync;
  BatchResult result = backend_->apply(batch);
  if (result.applied && dictionaries_->wants_samples()) offer_samples(batch.ops);
  if (result.applied) {
    std::uint64_t raw = 0, stored = 0;
    for (const auto& op : batch.ops) {
      if (op.kind != WriteOp::Kind::Put) continue;
      raw += op.raw_size;
      stored += op.value.size();
    }
    bytes_written_raw_.fetch_add(raw, std::memory_order_relaxed);
    bytes_written_stored_.fetch_add(stored, std::memory_order_relaxed);
  }
  return result;
}

void StoreCore::offer_samples(const std::vector<WriteOp>& ops) {
  try {
    std::vector<std::string> samples;
    for (const auto& op : ops) {
      // A frame made with a dictionary: ns has one already.
      if (op.kind != WriteOp::Kind::Put || op.ns != options_.ns ||
          !dictionaries_->is_for(op.raw_size) ||
          (op.codec == ValueCodec::Zstd && store::dictionary_id_of(op.value) != 0))
        continue;
      samples.push_back(store::decompress_value(op.value, op.codec, op.raw_size));
    }
    if (!samples.empty()) dictionaries_->add_samples(*backend_, samples);
  } catch (const std::exception& e) {
    // The write is done: a dictionary is an optimisation, its failure not the write's.
    obs::logger(obs::Component::Store)
        .warn("values could not be kept as compression samples",
              {{"ns", options_.ns}, {"error", e.what()}});
  }
}

WriteOp StoreCore::stage_put(std::string_view key, std::string_view value,
                             const std::vector<std::string>& tags,
                             std::optional<std::chrono::seconds> ttl, std::int64_t now_ms) {
  auto lock = use();
  return make_put(key, value, tags, ttl, now_ms);
}

void StoreCore::check_key(std::string_view key) const {
  store::validate_key(key);
}

WriteOp StoreCore::stage_remove(std::string_view key) {
  check_key(key);
  return make_op(WriteOp::Kind::Remove, key);
}

std::optional<StoredRecord> StoreCore::read(std::string_view key, std::int64_t now_ms) {
  auto lock = use();
  return backend_->get(options_.ns, key, now_ms, true);
}

std::string StoreCore::decode(StoredRecord& record) {
  std::uint32_t dictionary =
      record.meta.codec == ValueCodec::Zstd ? store::dictionary_id_of(record.value) : 0;
  std::string value =
      dictionary != 0
          ? dictionaries_->decompress(*backend_, record.value, dictionary, record.meta.raw_size)
          : store::decompress_value(std::move(record.value), record.meta.codec,
                                    record.meta.raw_size);
  bytes_read_.fetch_add(value.size(), std::memory_order_relaxed);
  return value;
}

Metadata StoreCore::to_metadata(std::string_view key, const RecordMeta& meta) const {
  using std::chrono::milliseconds;
  Metadata m;
  m.key = key;
  m.tags = meta.tags;
  m.size = meta.raw_size;
  m.stored_size = meta.stored_size;
  m.created_at = TimePoint(milliseconds(meta.created_ms));
  m.updated_at = TimePoint(milliseconds(meta.updated_ms));
  if (meta.expires_ms != 0) m.expires_at = TimePoint(milliseconds(meta.expires_ms));
  m.compressed = meta.codec != ValueCodec::None;
  m.version = meta.version;
  return m;
}

void StoreCore::background_round(bool sweep, std::uint64_t& expired_removed) {
  std::shared_lock lock(lifecycle_mutex_);
  if (!backend_) return;
  if (sweep) expired_removed += remove_keys(WriteOp::Kind::RemoveExpired, false);
  backend_->flush();
}

void StoreCore::close() {
  std::unique_lock lock(lifecycle_mutex_);
  if (!backend_) return;
  std::shared_ptr<StorageBackend> backend = std::move(backend_);
  backend_.reset();
  backend->flush();
}

}  // namespace nadb::store
