#include "backends/memory_backend.hpp"

#include <map>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <unordered_map>

#include "nadb/errors.hpp"

namespace nadb::backends {
namespace {

struct MemoryRecord {
  std::string value;
  RecordMeta meta;
  bool expired_at(std::int64_t now_ms) const {
    return meta.expires_ms != 0 && meta.expires_ms <= now_ms;
  }
};

struct MemoryNamespace {
  std::map<std::string, MemoryRecord, std::less<>> records;
  std::set<std::pair<std::int64_t, std::string>, std::less<>> expiry;

  const MemoryRecord* live(std::string_view key, std::int64_t now_ms) const {
    auto it = records.find(key);
    return it == records.end() || it->second.expired_at(now_ms) ? nullptr : &it->second;
  }
  void erase(std::string_view key) {
    auto it = records.find(key);
    if (it == records.end()) return;
    if (it->second.meta.expires_ms != 0) expiry.erase({it->second.meta.expires_ms, it->first});
    records.erase(it);
  }
  void put(std::string_view key, MemoryRecord record) {
    erase(key);
    if (record.meta.expires_ms != 0) expiry.emplace(record.meta.expires_ms, std::string(key));
    records.emplace(std::string(key), std::move(record));
  }
  std::size_t expired(std::int64_t now_ms) const {
    std::size_t n = 0;
    for (auto it = expiry.begin(); it != expiry.end() && it->first <= now_ms; ++it)
      ++n;
    return n;
  }
};

class MemoryBackend final : public StorageBackend {
 public:
  MemoryBackend() {
    capabilities_.name = "memory";
    capabilities_.max_value_size = 1ull << 30;
  }

  const BackendCapabilities& capabilities() const override { return capabilities_; }

  BatchResult apply(const WriteBatch& batch) override {
    std::unique_lock lock(mutex_);
    BatchResult result;
    result.ops.resize(batch.ops.size());
    for (std::size_t i = 0; i < batch.ops.size(); ++i) {
      const WriteOp& op = batch.ops[i];
      const MemoryRecord* current =
          find_ns(op.ns) ? find_ns(op.ns)->live(op.key, batch.now_ms) : nullptr;
      result.ops[i].existed = current != nullptr;
      bool holds = op.condition == WriteOp::Condition::None ||
                   (op.condition == WriteOp::Condition::Absent && !current) ||
                   (op.condition == WriteOp::Condition::Version && current &&
                    current->meta.version == op.expected_version);
      if (!holds) {
        result.applied = false;
        result.failed_op = i;
        return result;
      }
      if (op.kind == WriteOp::Kind::Expire && batch.ops.size() > 1) {
        for (std::size_t j = 0; j < i; ++j) {
          if (batch.ops[j].key == op.key && batch.ops[j].ns == op.ns &&
              batch.ops[j].kind != WriteOp::Kind::Check) {
            throw InvalidArgument("a batch cannot change the expiry of a key it also writes");
          }
        }
      }
    }
    // Every condition held and nothing below can fail: apply in order.
    for (std::size_t i = 0; i < batch.ops.size(); ++i) {
      const WriteOp& op = batch.ops[i];
      MemoryNamespace& ns = namespaces_[op.ns];
      const MemoryRecord* current = ns.live(op.key, batch.now_ms);
      switch (op.kind) {
        case WriteOp::Kind::Check:
          break;
        case WriteOp::Kind::Remove:
          if (current) {
            ns.erase(op.key);
            result.ops[i].version = next_version_++;
          }
          break;
        case WriteOp::Kind::Put: {
          MemoryRecord record;
          record.value = op.value;
          record.meta.tags = op.tags;
          record.meta.codec = op.codec;
          record.meta.raw_size = op.raw_size;
          record.meta.stored_size = op.value.size();
          record.meta.expires_ms = op.expires_ms;
          record.meta.created_ms = current ? current->meta.created_ms : batch.now_ms;
          stamp(record, batch.now_ms);
          result.ops[i].version = record.meta.version;
          ns.put(op.key, std::move(record));
          break;
        }
        case WriteOp::Kind::Expire:
          if (current) {
            MemoryRecord record = *current;
            record.meta.expires_ms = op.expires_ms;
            stamp(record, batch.now_ms);
            result.ops[i].version = record.meta.version;
            ns.put(op.key, std::move(record));
          }
          break;
      }
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
    return ns ? ns->records.size() - ns->expired(now_ms) : 0;
  }

  std::size_t remove_expired(std::string_view ns_name, std::int64_t now_ms, bool) override {
    std::unique_lock lock(mutex_);
    MemoryNamespace* ns = find_ns(ns_name);
    std::size_t removed = 0;
    while (ns && !ns->expiry.empty() && ns->expiry.begin()->first <= now_ms) {
      ns->erase(std::string(ns->expiry.begin()->second));
      ++removed;
    }
    return removed;
  }

  std::size_t clear(std::string_view ns_name, std::int64_t now_ms, bool) override {
    std::unique_lock lock(mutex_);
    MemoryNamespace* ns = find_ns(ns_name);
    if (!ns) return 0;
    std::size_t live = ns->records.size() - ns->expired(now_ms);
    namespaces_.erase(std::string(ns_name));
    return live;
  }

  void flush() override {}
  CompactionReport compact() override { return {}; }

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
  std::shared_mutex mutex_;
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
