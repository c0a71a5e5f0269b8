#include "index/query_cache.hpp"

namespace nadb::index {

std::shared_ptr<const QueryResult> QueryCache::find(const std::string& key,
                                                    std::uint64_t generation, std::int64_t now_ms) {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(key);
  if (it == entries_.end()) {
    ++misses_;
    return nullptr;
  }
  Entry& e = it->second;
  if (e.generation != generation || (e.valid_until != 0 && now_ms >= e.valid_until)) {
    erase_locked(it);
    ++misses_;
    return nullptr;
  }
  lru_.splice(lru_.begin(), lru_, e.lru);
  ++hits_;
  return e.result;
}

void QueryCache::insert(const std::string& key, std::shared_ptr<const QueryResult> result,
                        std::uint64_t generation, std::int64_t valid_until) {
  if (capacity_ == 0) return;
  std::lock_guard lock(mutex_);
  if (auto it = entries_.find(key); it != entries_.end()) erase_locked(it);
  while (entries_.size() >= capacity_) {
    erase_locked(entries_.find(lru_.back()));
    ++evictions_;
  }
  lru_.push_front(key);
  entries_.emplace(key, Entry{std::move(result), generation, valid_until, lru_.begin()});
}

void QueryCache::erase_locked(std::unordered_map<std::string, Entry>::iterator it) {
  lru_.erase(it->second.lru);
  entries_.erase(it);
}

void QueryCache::clear() {
  std::lock_guard lock(mutex_);
  entries_.clear();
  lru_.clear();
}

CacheStats QueryCache::stats() const {
  std::lock_guard lock(mutex_);
  return CacheStats{entries_.size(), capacity_, hits_, misses_, evictions_};
}

}  // namespace nadb::index
