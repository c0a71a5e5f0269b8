// The store's side of queries: attaching the index, evaluating through the cache, stats.
#include <algorithm>
#include <limits>
#include <map>
#include <mutex>

#include "index/query_evaluator.hpp"
#include "nadb/errors.hpp"
#include "obs/log.hpp"
#include "store/store_core.hpp"
#include "store/validation.hpp"

namespace nadb::store {
namespace {

void collect_tags(const index::QueryNode& node, std::vector<const std::string*>& out) {
  if (node.kind == index::QueryNode::Kind::Tag) out.push_back(&node.text);
  for (const auto& child : node.children)
    collect_tags(*child, out);
}

// The indexes stores attached, by address: the backend hands back the namespace's index as an
// IndexSink, and a store finds its type here (an entry lives while its index does).
class AttachedIndexes {
 public:
  void add(const std::shared_ptr<index::WriteCounter>& index) {
    util::MutexLock lock(mutex_);
    // Entries of indexes gone are pruned when the map has doubled since the last pruning:
    // opening a store costs O(1) amortised, whatever the number of namespaces.
    if (by_sink_.size() >= 2 * pruned_size_) {
      std::erase_if(by_sink_, [](const auto& entry) { return entry.second.expired(); });
      pruned_size_ = std::max<std::size_t>(by_sink_.size(), 16);
    }
    by_sink_[index.get()] = index;
  }
  std::shared_ptr<index::WriteCounter> find(const IndexSink* sink) {
    util::MutexLock lock(mutex_);
    auto it = by_sink_.find(sink);
    return it == by_sink_.end() ? nullptr : it->second.lock();
  }

 private:
  util::Mutex mutex_;
  std::map<const IndexSink*, std::weak_ptr<index::WriteCounter>> by_sink_ GUARDED_BY(mutex_);
  std::size_t pruned_size_ GUARDED_BY(mutex_) = 16;
};

AttachedIndexes& attached_indexes() {
  static AttachedIndexes instance;
  return instance;
}

}  // namespace

ServerQueries& StoreCore::server_queries() const {
  ServerQueries* queries = backend_->facets().server_queries;
  if (queries == nullptr) {
    throw NotSupported("backend '" + capabilities_.name +
                       "' neither keeps a local index nor answers queries");
  }
  return *queries;
}

void StoreCore::attach_index(bool rebuild) {
  LocalIndexing* local = backend_->facets().local_indexing;
  if (local == nullptr) return;  // queries are the backend's own business (or unsupported)
  util::Stopwatch watch;
  std::shared_ptr<index::WriteCounter> made;
  if (options_.enable_indexing) {
    made = std::make_shared<index::TagIndex>();
  } else {
    made = std::make_shared<index::WriteCounter>();
  }
  attached_indexes().add(made);
  std::shared_ptr<IndexSink> in_effect = local->attach_index(options_.ns, made, rebuild);
  // The namespace's index may be another store's (stores of one namespace share it).
  index_ = attached_indexes().find(in_effect.get());
  if (!index_) {
    throw NotSupported("namespace '" + options_.ns + "' of " + name_ +
                       " has an index attached by something other than a store");
  }
  if (rebuild) {
    obs::logger(obs::Component::Index)
        .info("index rebuilt", {{"store", name_}, {"duration_ms", watch.elapsed_ms()}});
  }
}

QueryResult StoreCore::run_query(const Query& q, std::size_t page, std::size_t page_size) {
  if (page < 1) throw InvalidArgument("page must be at least 1, got " + std::to_string(page));
  if (page_size != kEveryKey) store::validate_limit(page_size, "page_size");
  std::uint64_t start = util::ticks();
  {
    std::vector<const std::string*> tags;
    collect_tags(index::QueryAccess::root(q), tags);
    util::MutexLock lock(tag_stats_mutex_);
    for (const std::string* tag : tags)
      ++tag_queries_[*tag];
  }
  std::int64_t now = util::now_ms();
  QueryResult result;
  // Without a cache there is no key to build and nothing to look up.
  std::string cache_key;
  std::shared_ptr<const QueryResult> hit;
  if (cache_->enabled()) {
    cache_key = q.to_string() + '|' + std::to_string(page) + '|' + std::to_string(page_size);
    std::uint64_t generation =
        index_ ? index_->write_generation() : server_queries().write_generation(options_.ns);
    hit = cache_->find(cache_key, generation, now);
  }
  if (hit) {
    result = *hit;
    result.cache_hit = true;
  } else {
    ServerQueryPage computed = index_
                                   ? query_local(q, page, page_size, now)
                                   : server_queries().query(options_.ns, q, page, page_size, now);
    result = std::move(computed.result);
    if (cache_->enabled()) {
      cache_->insert(cache_key, std::make_shared<const QueryResult>(result), computed.generation,
                     computed.valid_until_ms);
    }
  }
  result.execution_time_ms = static_cast<double>(util::ticks() - start) / util::ticks_per_ms();
  if (result.execution_time_ms >= obs::slow_query_threshold_ms()) {
    obs::logger(obs::Component::Index)
        .info("slow query", {{"store", name_},
                             {"query", q.to_string()},
                             {"duration_ms", result.execution_time_ms},
                             {"results", result.total_count},
                             {"cache_hit", result.cache_hit}});
  }
  return result;
}

ServerQueryPage StoreCore::query_local(const Query& q, std::size_t page, std::size_t page_size,
                                       std::int64_t now) {
  ServerQueryPage out;
  QueryResult& result = out.result;
  backend_->facets().local_indexing->read_index(options_.ns, [&](const KeyIdReader& reader) {
    out.generation = index_->write_generation();
    Roaring ids = index::evaluate(index::QueryAccess::root(q), reader, index_->tag_index(), now);
    result.total_count = ids.cardinality();
    std::size_t size =
        page_size == kEveryKey ? std::max<std::size_t>(1, result.total_count) : page_size;
    result.keys = index::sorted_page(ids, reader, page, size);
    result.page = page;
    result.page_size = size;
    result.has_more = page - 1 < result.total_count / size && page * size < result.total_count;
    out.valid_until_ms = reader.next_expiry_after(now);
  });
  return out;
}

IndexStats StoreCore::index_stats() {
  IndexStats s;
  index::CacheStats cache = cache_->stats();
  s.cache_entries = cache.entries;
  s.cache_capacity = cache.capacity;
  s.cache_hits = cache.hits;
  s.cache_misses = cache.misses;
  s.cache_evictions = cache.evictions;
  if (index_) {
    backend_->facets().local_indexing->read_index(options_.ns, [&](const KeyIdReader&) {
      if (const index::TagIndex* tags = index_->tag_index()) {
        s.enabled = true;
        s.tags = tags->tag_count();
        s.memory_bytes = tags->memory_bytes();
      }
    });
  } else if (backend_->facets().server_queries) {  // the backend indexes tags itself (redis)
    s.enabled = true;
    s.tags = server_queries().tag_counts(options_.ns, util::now_ms()).size();
  }  // else: a backend that answers no queries has no index to report
  std::vector<std::pair<std::uint64_t, std::string>> popular;
  {
    util::MutexLock lock(tag_stats_mutex_);
    for (const auto& [tag, count] : tag_queries_)
      popular.emplace_back(count, tag);
  }
  std::size_t top = std::min<std::size_t>(10, popular.size());
  std::partial_sort(popular.begin(), popular.begin() + static_cast<std::ptrdiff_t>(top),
                    popular.end(), [](const auto& a, const auto& b) {
                      return a.first > b.first || (a.first == b.first && a.second < b.second);
                    });
  for (std::size_t i = 0; i < top; ++i)
    s.popular_tags[popular[i].second] = popular[i].first;
  return s;
}

}  // namespace nadb::store
