// Many threads on one redis store through a pool smaller than the thread count: every
// operation succeeds (waiting for a connection), counters stay exact, tag sets match the data.
#include <gtest/gtest.h>

#include <thread>

#include "nadb/nadb.hpp"
#include "support/redis_server.hpp"

namespace nadb::testing {
namespace {

TEST(RedisConcurrency, ThreadsShareASmallPool) {
  RedisServer server;
  Options o = redis_store_options(server, "main");
  o.redis.pool_size = 3;
  KeyValueStore store(o);
  constexpr int kThreads = 8, kOps = 300;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&store, t] {
      for (int i = 0; i < kOps; ++i) {
        std::string key = "t" + std::to_string(t) + ":" + std::to_string(i);
        store.set(key, std::to_string(i), {i % 2 ? "odd" : "even", "thread" + std::to_string(t)});
        store.increment("counter");
        if (i % 10 == 0) store.remove(key);
        if (i % 25 == 0) store.query_by_tags({"odd"});
      }
    });
  }
  for (auto& thread : threads)
    thread.join();
  EXPECT_EQ(store.get("counter"), std::to_string(kThreads * kOps));
  std::size_t live_per_thread = kOps - kOps / 10;
  EXPECT_EQ(store.get_all_keys().size(), kThreads * live_per_thread + 1);
  EXPECT_EQ(store.query_by_tags({"odd"}).size(), kThreads * std::size_t{kOps / 2});
  auto tags = store.list_all_tags();
  EXPECT_EQ(tags["even"], kThreads * (std::size_t{kOps / 2} - kOps / 10));
  EXPECT_EQ(tags["thread3"], live_per_thread);
  PoolStats pool = store.get_stats().storage.pool;
  EXPECT_LE(pool.created, 3u);
  EXPECT_EQ(pool.in_use, 0u);
}

}  // namespace
}  // namespace nadb::testing
