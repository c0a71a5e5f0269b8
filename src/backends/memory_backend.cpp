#include "backends/memory_backend.hpp"

#include <algorithm>
#include <map>
#include <mutex>
#include <shared_mutex>
#include <unordered_map>

#include "engine/batch_planner.hpp"
#include "engine/expiry_schedule.hpp"
#include "util/shared_mutex.hpp"

namespace nadb::backends {
namespace {

struct MemoryRecord {
  std::string value;
  RecordMeta meta;
  std::uint32_t id = 0;  // dense per namespace, for indexes
  bool expired_at(std::int64_t now_ms) const {
    return meta.expires_ms != 0 && meta.expires_ms <= now_ms;
  }
};

std::vector<std::string_view> views(const std::vector<std::string>& tags) {
  return {tags.begin(), tags.end()};
}

struct MemoryNamespace {
  std::map<std::string, MemoryRecord, std::less<>> records;
  engine::ExpirySchedule expiry;
  std::vector<const std::pair<const std::string, MemoryRecord>*> by_id;  // nullptr: free id
  std::vector<std::uint32_t> free_ids;
  std::shared_ptr<IndexSink> index;

  const MemoryRecord* live(std::string_view key, std::int64_t now_ms) const {
    auto it = records.find(key);
    return it == records.end() || it->second.expired_at(now_ms) ? nullptr : &it->second;
  }
  void erase(std::string_view key) {
    auto it = records.find(key);
    if (it == records.end()) return;
    MemoryRecord& r = it->second;
    if (index) {
      auto before = views(r.meta.tags);
      index->on_change(r.id, &before, nullptr);
    }
    expiry.remove(r.meta.expires_ms, r.id);
    by_id[r.id] = nullptr;
    free_ids.push_back(r.id);
    records.erase(it);
  }
  void put(std::string_view key, MemoryRecord record) {
    auto it = records.find(key);
    auto after = views(record.meta.tags);
    if (it == records.end()) {
      it = records.emplace(std::string(key), MemoryRecord{}).first;
      if (free_ids.empty()) {
        record.id = static_cast<std::uint32_t>(by_id.size());
        by_id.push_back(nullptr);
      } else {
        record.id = free_ids.back();
        free_ids.pop_back();
      }
      by_id[record.id] = &*it;
      if (index) index->on_change(record.id, nullptr, &after);
    } else {
      record.id = it->second.id;
      if (index) {
        auto before = views(it->second.meta.tags);
        index->on_change(record.id, &before, &after);
      }
      expiry.remove(it->second.meta.expires_ms, record.id);
    }
    expiry.add(record.meta.expires_ms, record.id);
    it->second = std::move(record);
  }
  std::size_t live_count(std::int64_t now_ms) const {
    return records.size() - expiry.expired_count(now_ms);
  }
};

class MemoryReader final : public KeyIdReader {
 public:
  explicit MemoryReader(const MemoryNamespace& ns) : ns_(ns) {}
  std::string_view key(std::uint32_t id) const override { return ns_.by_id[id]->first; }
  KeyFacts facts(std::uint32_t id) const override {
    const RecordMeta& m = ns_.by_id[id]->second.meta;
    return KeyFacts{m.raw_size, m.created_ms, m.updated_ms, m.expires_ms};
  }
  std::vector<std::string_view> tags(std::uint32_t id) const override {
    return views(ns_.by_id[id]->second.meta.tags);
  }
  std::optional<std::uint32_t> find(std::string_view key) const override {
    auto it = ns_.records.find(key);
    return it == ns_.records.end() ? std::nullopt : std::optional(it->second.id);
  }
  void for_each(const std::function<void(std::uint32_t)>& fn) const override {
    for (const auto& [key, record] : ns_.records)
      fn(record.id);
  }
  void for_each_prefixed(std::string_view prefix,
                         const std::function<bool(std::uint32_t)>& fn) const override {
    for (auto it = ns_.records.lower_bound(prefix);
         it != ns_.records.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it) {
      if (!fn(it->second.id)) return;
    }
  }
  void for_each_expired(std::int64_t now_ms,
                        const std::function<void(std::uint32_t)>& fn) const override {
    ns_.expiry.for_each_expired(now_ms, fn);
  }
  std::int64_t next_expiry_after(std::int64_t now_ms) const override {
    return ns_.expiry.next_after(now_ms);
  }

 private:
  const MemoryNamespace& ns_;
};

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
    std::unique_lock lock(mutex_);
    if (engine::is_namespace_wide(batch)) return remove_keys(batch);
    std::vector<engine::PlannedWrite> writes;
    BatchResult result = engine::plan_batch(
        batch,
        [&](std::size_t i) {
          const MemoryRecord* current = find_live(batch.ops[i].ns, batch.ops[i].key, batch.now_ms);
          return current ? std::optional(current->meta.version) : std::nullopt;
        },
        writes);
    // Every condition held (or writes is empty) and nothing below can fail: apply in order.
    for (const engine::PlannedWrite& write : writes) {
      const WriteOp& op = batch.ops[write.op];
      MemoryNamespace& ns = namespaces_[op.ns];
      const MemoryRecord* current = ns.live(op.key, batch.now_ms);
      MemoryRecord record;
      switch (write.effect) {
        case engine::PlannedWrite::Effect::Remove:
          ns.erase(op.key);
          result.ops[write.op].version = next_version_++;
          continue;
        case engine::PlannedWrite::Effect::Put:
          record.value = op.value;
          record.meta.tags = op.tags;
          record.meta.codec = op.codec;
          record.meta.raw_size = op.raw_size;
          record.meta.stored_size = op.value.size();
          record.meta.expires_ms = op.expires_ms;
          record.meta.created_ms =
              write.key_live && current ? current->meta.created_ms : batch.now_ms;
          break;
        case engine::PlannedWrite::Effect::Expire:
          record = *current;
          record.meta.expires_ms = op.expires_ms;
          break;
      }
      stamp(record, batch.now_ms);
      result.ops[write.op].version = record.meta.version;
      ns.put(op.key, std::move(record));
    }
    return result;
  }

  std::optional<StoredRecord> get(std::string_view ns, std::string_view key, std::int64_t now_ms,
                                  bool with_tags) override {
    std::shared_lock lock(mutex_);
    const MemoryRecord* r = find_live(ns, key, now_ms);
    if (!r) return std::nullopt;
    StoredRecord out{r->value, r->meta};
    if (!with_tags) out.meta.tags.clear();
    return out;
  }

  std::optional<RecordMeta> get_meta(std::string_view ns, std::string_view key,
                                     std::int64_t now_ms) override {
    std::shared_lock lock(mutex_);
    const MemoryRecord* r = find_live(ns, key, now_ms);
    if (!r) return std::nullopt;
    return r->meta;
  }

  KeyPage scan(std::string_view ns_name, std::string_view prefix, std::string_view cursor,
               std::size_t limit, std::int64_t now_ms) override {
    std::shared_lock lock(mutex_);
    KeyPage page;
    const MemoryNamespace* ns = find_ns(ns_name);
    if (!ns || limit == 0) return page;
    auto it = cursor >= prefix ? ns->records.upper_bound(cursor) : ns->records.lower_bound(prefix);
    for (; it != ns->records.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it) {
      if (it->second.expired_at(now_ms)) continue;
      if (page.keys.size() == limit) {
        page.next_cursor = page.keys.back();
        break;
      }
      page.keys.push_back(it->first);
    }
    return page;
  }

  std::size_t count(std::string_view ns_name, std::int64_t now_ms) override {
    std::shared_lock lock(mutex_);
    const MemoryNamespace* ns = find_ns(ns_name);
    return ns ? ns->live_count(now_ms) : 0;
  }

  std::shared_ptr<IndexSink> attach_index(std::string_view ns_name, std::shared_ptr<IndexSink> sink,
                                          bool rebuild) override {
    std::unique_lock lock(mutex_);
    MemoryNamespace& ns = namespaces_[std::string(ns_name)];
    if (ns.index && !rebuild) return ns.index;
    if (!ns.index) ns.index = std::move(sink);
    if (rebuild) ns.index->clear();
    for (const auto& [key, record] : ns.records) {
      auto after = views(record.meta.tags);
      ns.index->on_change(record.id, nullptr, &after);
    }
    ns.index->optimize();
    return ns.index;
  }

  void read_index(std::string_view ns_name,
                  const std::function<void(const KeyIdReader&)>& fn) override {
    static const MemoryNamespace kEmpty;
    std::shared_lock lock(mutex_);
    const MemoryNamespace* ns = find_ns(ns_name);
    if (!ns) ns = &kEmpty;
    fn(MemoryReader(*ns));
  }

  std::vector<std::string> namespaces() override {
    std::shared_lock lock(mutex_);
    std::vector<std::string> names;
    for (const auto& [name, ns] : namespaces_) {
      if (!ns.records.empty()) names.push_back(name);
    }
    std::sort(names.begin(), names.end());
    return names;
  }

  void flush() override {}
  CompactionReport compact(const ProgressCallback&) override { return {}; }
  // The stores of one db in a process share this object.
  std::string identity() override {
    return "memory:" + std::to_string(reinterpret_cast<std::uintptr_t>(this));
  }

  BackendStats stats() override {
    std::shared_lock lock(mutex_);
    BackendStats s;
    s.backend = "memory";
    for (const auto& [name, ns] : namespaces_) {
      for (const auto& [key, record] : ns.records)
        s.memory_bytes += key.size() + record.value.size() + 96;
    }
    s.live_bytes = s.memory_bytes;
    return s;
  }

 private:
  // A Clear or RemoveExpired batch (mutex_ held).
  BatchResult remove_keys(const WriteBatch& batch) {
    const WriteOp& op = batch.ops[0];
    BatchResult result;
    result.ops.resize(1);
    MemoryNamespace* ns = find_ns(op.ns);
    if (!ns) return result;
    if (op.kind == WriteOp::Kind::RemoveExpired) {
      while (auto id = ns->expiry.first_expired(batch.now_ms)) {
        ns->erase(ns->by_id[*id]->first);
        ++result.ops[0].removed;
      }
      return result;
    }
    result.ops[0].removed = ns->live_count(batch.now_ms);
    MemoryNamespace empty;
    empty.index = std::move(ns->index);
    if (empty.index) empty.index->clear();
    *ns = std::move(empty);
    return result;
  }
  MemoryNamespace* find_ns(std::string_view ns) {
    auto it = namespaces_.find(std::string(ns));
    return it == namespaces_.end() ? nullptr : &it->second;
  }
  const MemoryRecord* find_live(std::string_view ns, std::string_view key, std::int64_t now_ms) {
    MemoryNamespace* n = find_ns(ns);
    return n ? n->live(key, now_ms) : nullptr;
  }
  void stamp(MemoryRecord& record, std::int64_t now_ms) {
    record.meta.version = next_version_++;
    record.meta.updated_ms = now_ms;
    if (record.meta.created_ms > now_ms) record.meta.created_ms = now_ms;
  }

  BackendCapabilities capabilities_;
  // Guarded by mutex_ (shared for reads).
  util::SharedMutex mutex_;
  std::unordered_map<std::string, MemoryNamespace> namespaces_;
  std::uint64_t next_version_ = 1;
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
