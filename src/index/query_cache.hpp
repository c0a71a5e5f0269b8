// QueryCache: an LRU cache of query results. An entry is served only while its namespace's
// write generation is unchanged and no key has expired since it was computed, so a hit is
// never staler than the last acknowledged write. Results are shared immutable.
#pragma once

#include <atomic>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "nadb/query.hpp"

namespace nadb::index {

struct CacheStats {
  std::uint64_t entries = 0, capacity = 0, hits = 0, misses = 0, evictions = 0;
};

class QueryCache {
 public:
  explicit QueryCache(std::size_t capacity) : capacity_(capacity) {}

  // The cached result for key if still valid at (generation, now_ms); counts a hit or miss.
  std::shared_ptr<const QueryResult> find(const std::string& key, std::uint64_t generation,
                                          std::int64_t now_ms);
  // valid_until: the first instant a key of the namespace expires (0: none).
  void insert(const std::string& key, std::shared_ptr<const QueryResult> result,
              std::uint64_t generation, std::int64_t valid_until);
  void clear();
  CacheStats stats() const;
  bool enabled() const { return capacity_ > 0; }

 private:
  struct Entry {
    std::shared_ptr<const QueryResult> result;
    std::uint64_t generation;
    std::int64_t valid_until;
    std::list<std::string>::iterator lru;  // position in lru_
  };
  void erase_locked(std::unordered_map<std::string, Entry>::iterator it);

  const std::size_t capacity_;
  // Guarded by mutex_.
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;
  std::list<std::string> lru_;  // most recent first
  std::uint64_t hits_ = 0, misses_ = 0, evictions_ = 0;
};

}  // namespace nadb::index
