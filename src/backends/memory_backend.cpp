#include "backends/memory_backend.hpp"

#include <mutex>
#include <unordered_map>

#include "engine/batch_planner.hpp"
#include "engine/keydir.hpp"
#include "util/shared_mutex.hpp"

namespace nadb::backends {
namespace {

// The values of the memory backend, each in a numbered slot that the keydir records as its
// key's location (segment 0, offset = slot). Slots of removed values are reused.
class ValueSlots {
 public:
  std::uint32_t store(std::string_view value) {
    std::uint32_t slot;
    if (free_.empty()) {
      slot = static_cast<std::uint32_t>(values_.size());
      values_.emplace_back();
    } else {
      slot = free_.back();
      free_.pop_back();
    }
    values_[slot].assign(value);
    bytes_ += value.size();
    return slot;
  }
  void release(std::uint32_t slot) {
    bytes_ -= values_[slot].size();
    values_[slot] = std::string();
    free_.push_back(slot);
  }
  const std::string& at(std::uint32_t slot) const { return values_[slot]; }
  // Bytes of the values stored.
  std::size_t value_bytes() const { return bytes_; }
  std::size_t memory_bytes() const { return bytes_ + values_.capacity() * sizeof(std::string); }

 private:
  std::vector<std::string> values_;
  std::vector<std::uint32_t> free_;
  std::size_t bytes_ = 0;
};

// The memory backend keeps its keys in the engine's Keydir (the same key table, tag sets,
// expiry schedule and KeyIdReader as the fs backend) and its values in ValueSlots.
class MemoryBackend final : public StorageBackend, public LocalIndexing {
 public:
  MemoryBackend() {
    capabilities_.name = "memory";
    capabilities_.max_value_size = 1ull << 30;
    capabilities_.max_batch_bytes = 1ull << 40;  // memory is the only limit
  }

  const BackendCapabilities& capabilities() const override { return capabilities_; }

  BackendFacets facets() override { return {.local_indexing = this}; }

  BatchResult apply(const WriteBatch& batch) override {
    check_batch_rules(batch, capabilities_.max_batch_bytes);
    util::WriterLock lock(mutex_);
    if (engine::is_namespace_wide(batch)) return remove_keys(batch);
    std::vector<engine::PlannedWrite>& writes = planned_;  // reused: no allocation per batch
    const engine::Keydir* keydir = &keydir_;  // for the lambda, which runs under the lock
    BatchResult result = engine::plan_batch(
        batch,
        [&](std::size_t i) {
          const engine::KeyEntry* current =
              keydir->lookup_live(batch.ops[i].ns, batch.ops[i].key, batch.now_ms);
          return current ? std::optional(current->version) : std::nullopt;
        },
        writes);
    // Every condition held (or writes is empty) and nothing below can fail: apply in order.
    for (const engine::PlannedWrite& write : writes) {
      const WriteOp& op = batch.ops[write.op];
      result.ops[write.op].version = install(op, write, batch.now_ms);
    }
    return result;
  }

  std::optional<StoredRecord> get(std::string_view ns, std::string_view key, std::int64_t now_ms,
                                  bool with_tags) override {
    util::ReaderLock lock(mutex_);
    const engine::KeyEntry* entry = keydir_.lookup_live(ns, key, now_ms);
    if (!entry) return std::nullopt;
    return StoredRecord{values_.at(entry->offset), keydir_.meta_of(*entry, with_tags)};
  }

  std::optional<RecordMeta> get_meta(std::string_view ns, std::string_view key,
                                     std::int64_t now_ms) override {
    util::ReaderLock lock(mutex_);
    const engine::KeyEntry* entry = keydir_.lookup_live(ns, key, now_ms);
    if (!entry) return std::nullopt;
    return keydir_.meta_of(*entry);
  }

  KeyPage scan(std::string_view ns, std::string_view prefix, std::string_view cursor,
               std::size_t limit, std::int64_t now_ms) override {
    util::ReaderLock lock(mutex_);
    return keydir_.scan(ns, prefix, cursor, limit, now_ms);
  }

  std::size_t count(std::string_view ns, std::int64_t now_ms) override {
    util::ReaderLock lock(mutex_);
    return keydir_.count(ns, now_ms);
  }

  std::shared_ptr<IndexSink> attach_index(std::string_view ns, std::shared_ptr<IndexSink> sink,
                                          bool rebuild) override {
    util::WriterLock lock(mutex_);
    return keydir_.attach_index(ns, std::move(sink), rebuild);
  }

  void read_index(std::string_view ns, const std::function<void(const KeyIdReader&)>& fn) override {
    util::ReaderLock lock(mutex_);
    keydir_.read(ns, fn);
  }

  std::vector<std::string> namespaces() override {
    util::ReaderLock lock(mutex_);
    return keydir_.namespace_names();
  }

  void flush() override {}
  CompactionReport compact(const ProgressCallback&) override { return {}; }
  // The stores of one db in a process share this object.
  std::string identity() override {
    return "memory:" + std::to_string(reinterpret_cast<std::uintptr_t>(this));
  }

  BackendStats stats() override {
    util::ReaderLock lock(mutex_);
    BackendStats s;
    s.backend = "memory";
    s.memory_bytes = keydir_.memory_bytes() + values_.memory_bytes();
    s.live_bytes = key_bytes_ + values_.value_bytes();
    return s;
  }

 private:
  // Makes write of op the newest version of its key; returns that version.
  std::uint64_t install(const WriteOp& op, const engine::PlannedWrite& write, std::int64_t now_ms)
      REQUIRES(mutex_) {
    const engine::KeyEntry* installed = keydir_.lookup(op.ns, op.key);  // expired or not
    bool release_old = installed != nullptr;
    std::uint32_t old_slot = installed ? installed->offset : 0;
    engine::LocatedRecord record;
    engine::RecordFields& fields = record.fields;
    fields.ns = op.ns;
    fields.key = op.key;
    fields.seq = next_version_++;
    fields.updated_ms = now_ms;
    std::vector<std::string> kept_tags;  // Expire: the old set may be freed while installing
    switch (write.effect) {
      case engine::PlannedWrite::Effect::Remove:
        fields.type = engine::RecordType::Delete;
        break;
      case engine::PlannedWrite::Effect::Put:
        fields.codec = op.codec;
        fields.raw_size = op.raw_size;
        fields.expires_ms = op.expires_ms;
        fields.tags.assign(op.tags.begin(), op.tags.end());
        fields.created_ms = write.keeps_created ? installed->created_ms : now_ms;
        record.offset = values_.store(op.value);
        record.value_size = op.value.size();
        break;
      case engine::PlannedWrite::Effect::Expire:  // same value and tags, new expiry
        for (std::string_view tag : keydir_.tag_sets().tags(installed->tag_set))
          kept_tags.emplace_back(tag);
        fields.tags.assign(kept_tags.begin(), kept_tags.end());
        fields.codec = installed->codec;
        fields.raw_size = installed->raw_size;
        fields.created_ms = installed->created_ms;
        fields.expires_ms = op.expires_ms;
        record.offset = installed->offset;
        record.value_size = installed->stored_size;
        release_old = false;  // the value stays where it is
        break;
    }
    if (fields.created_ms > now_ms) fields.created_ms = now_ms;  // the clock went back
    if (!installed) key_bytes_ += op.key.size();
    if (installed && fields.type == engine::RecordType::Delete) key_bytes_ -= op.key.size();
    keydir_.install(record);
    if (release_old) values_.release(old_slot);
    return fields.seq;
  }

  // A Clear or RemoveExpired batch.
  BatchResult remove_keys(const WriteBatch& batch) REQUIRES(mutex_) {
    const WriteOp& op = batch.ops[0];
    BatchResult result;
    result.ops.resize(1);
    const engine::NamespaceKeys* ns = keydir_.find(op.ns);
    if (!ns) return result;
    std::vector<std::string> doomed;
    auto doom = [&](std::uint32_t id) { doomed.emplace_back(ns->keys.at(id).key.view()); };
    if (op.kind == WriteOp::Kind::RemoveExpired) {
      ns->expiry.for_each_expired(batch.now_ms, doom);
      result.ops[0].removed = doomed.size();
    } else {
      result.ops[0].removed = keydir_.count(op.ns, batch.now_ms);
      ns->keys.for_each([&](std::uint32_t id, const engine::KeyEntry&) { doom(id); });
    }
    WriteOp remove;
    remove.kind = WriteOp::Kind::Remove;
    remove.ns = op.ns;
    engine::PlannedWrite removal;
    removal.effect = engine::PlannedWrite::Effect::Remove;
    for (const std::string& key : doomed) {
      remove.key = key;
      install(remove, removal, batch.now_ms);
    }
    return result;
  }

  BackendCapabilities capabilities_;
  util::SharedMutex mutex_;  // shared for reads
  engine::Keydir keydir_ GUARDED_BY(mutex_);
  ValueSlots values_ GUARDED_BY(mutex_);
  std::uint64_t next_version_ GUARDED_BY(mutex_) = 1;
  std::vector<engine::PlannedWrite> planned_ GUARDED_BY(mutex_);  // apply's scratch list
  std::size_t key_bytes_ GUARDED_BY(mutex_) = 0;                  // of the keys in keydir_
};

}  // namespace

std::shared_ptr<StorageBackend> open_memory_backend(const Options& options) {
  static std::mutex mutex;
  static std::unordered_map<std::string, std::weak_ptr<StorageBackend>> open;
  std::lock_guard lock(mutex);
  if (auto existing = open[options.db].lock()) return existing;
  auto backend = std::make_shared<MemoryBackend>();
  open[options.db] = backend;
  return backend;
}

}  // namespace nadb::backends
