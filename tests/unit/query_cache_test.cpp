#include "index/query_cache.hpp"

#include <gtest/gtest.h>

namespace nadb::index {
namespace {

std::shared_ptr<const QueryResult> result_with(std::string key) {
  auto r = std::make_shared<QueryResult>();
  r->keys = {std::move(key)};
  return r;
}

TEST(QueryCache, HitOnlyWhileGenerationAndExpiryHold) {
  QueryCache cache(10);
  cache.insert("q", result_with("a"), 5, 1000);
  EXPECT_TRUE(cache.find("q", 5, 999));
  EXPECT_FALSE(cache.find("q", 5, 1000));  // a key expired since: dropped
  cache.insert("q", result_with("a"), 5, 0);
  EXPECT_FALSE(cache.find("q", 6, 1));  // a write since
  EXPECT_FALSE(cache.find("q", 5, 1));  // and the stale entry is gone
  CacheStats s = cache.stats();
  EXPECT_EQ(s.hits, 1u);
  EXPECT_EQ(s.misses, 3u);
}

TEST(QueryCache, EvictsLeastRecentlyUsed) {
  QueryCache cache(2);
  cache.insert("a", result_with("a"), 1, 0);
  cache.insert("b", result_with("b"), 1, 0);
  EXPECT_TRUE(cache.find("a", 1, 0));  // a is now the most recent
  cache.insert("c", result_with("c"), 1, 0);
  EXPECT_TRUE(cache.find("a", 1, 0));
  EXPECT_FALSE(cache.find("b", 1, 0));
  EXPECT_EQ(cache.stats().evictions, 1u);
  EXPECT_EQ(cache.stats().entries, 2u);
}

TEST(QueryCache, ZeroCapacityCachesNothing) {
  QueryCache cache(0);
  cache.insert("a", result_with("a"), 1, 0);
  EXPECT_FALSE(cache.find("a", 1, 0));
}

}  // namespace
}  // namespace nadb::index
