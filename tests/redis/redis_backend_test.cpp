// What only the redis backend has: keys other processes see, expiry cleaning the server-side
// tag sets, outages, scripts lost by the server, and Redis's size limits. The behaviour
// shared with the other backends is in the conformance suite.
#include <gtest/gtest.h>

#include <cstdlib>
#include <thread>

#include "backends/redis/connection.hpp"
#include "nadb/nadb.hpp"
#include "support/raw_redis.hpp"
#include "support/redis_server.hpp"

namespace nadb::testing {
namespace {

using namespace std::chrono_literals;
using backends::redis::Command;
using backends::redis::Connection;
using backends::redis::Reply;

class RedisBackendTest : public ::testing::Test {
 protected:
  Options options(const std::string& ns = "main") const {
    Options o = redis_store_options(server_, ns);
    o.redis.key_prefix = "app";
    o.redis.connect_timeout = 500ms;
    o.redis.socket_timeout = 2000ms;
    return o;
  }
  Reply raw(std::initializer_list<std::string_view> args) { return raw_.run(args); }
  std::vector<std::string> members(const std::string& set) { return raw_.members(set); }
  std::vector<std::string> keys_matching(const std::string& pattern) {
    return raw_.keys_matching(pattern);
  }

  RedisServer server_;
  RawRedis raw_{server_.port()};
};

TEST_F(RedisBackendTest, KeysFollowTheDocumentedLayout) {
  KeyValueStore store(options());
  store.set("user:1", "v", {"red", "big"});
  store.set_with_ttl("user:2", "w", 100s, {"red"});
  EXPECT_EQ(
      keys_matching("app:*"),
      (std::vector<std::string>{
          "app:{db:main}:gen", "app:{db:main}:k", "app:{db:main}:m:user:1",
          "app:{db:main}:m:user:2", "app:{db:main}:shards", "app:{db:main}:t:big",
          "app:{db:main}:t:red", "app:{db:main}:tags", "app:{db:main}:u", "app:{db:main}:v:user:1",
          "app:{db:main}:v:user:2", "app:{db:main}:x", "app:{db}:namespaces"}));
  EXPECT_EQ(members("app:{db}:namespaces"), (std::vector<std::string>{"main"}));
  EXPECT_EQ(members("app:{db:main}:t:red"), (std::vector<std::string>{"user:1", "user:2"}));
  EXPECT_EQ(std::string(raw({"GET", "app:{db:main}:v:user:1"})->str), "v");
  // The metadata: 49-byte header, then the tags, each with a 4-byte length.
  Reply meta = raw({"GET", "app:{db:main}:m:user:1"});
  EXPECT_EQ(std::string(meta->str + 49, meta->len - 49), std::string("\0\0\0\3big\0\0\0\3red", 14));
  EXPECT_EQ(std::string(raw({"HGET", "app:{db:main}:tags", "red"})->str), "2");
}

TEST_F(RedisBackendTest, ExpiryLeavesTagSetsAndCountsClean) {
  Options o = options();
  o.flush_interval = 600s;  // no background sweep during the test
  KeyValueStore store(o);
  store.set_with_ttl("short", "v", 1s, {"t", "only-short"});
  store.set("long", "v", {"t"});
  std::this_thread::sleep_for(1100ms);
  // Invisible at once, before any sweep.
  EXPECT_EQ(store.query_by_tags({"t"}), (std::vector<std::string>{"long"}));
  EXPECT_EQ(store.get_all_keys(), (std::vector<std::string>{"long"}));
  EXPECT_EQ(members("app:{db:main}:t:t").size(), 2u);  // not swept yet
  EXPECT_EQ(store.cleanup_expired(), 1u);
  EXPECT_EQ(members("app:{db:main}:t:t"), (std::vector<std::string>{"long"}));
  EXPECT_EQ(raw({"EXISTS", "app:{db:main}:t:only-short"})->integer, 0);
  EXPECT_EQ(raw({"EXISTS", "app:{db:main}:v:short", "app:{db:main}:m:short"})->integer, 0);
  EXPECT_EQ(raw({"HGET", "app:{db:main}:tags", "only-short"})->type, REDIS_REPLY_NIL);
  EXPECT_EQ(std::string(raw({"HGET", "app:{db:main}:tags", "t"})->str), "1");
  EXPECT_EQ(store.list_all_tags(), (std::map<std::string, std::size_t>{{"t", 1}}));
}

TEST_F(RedisBackendTest, AReadThatMeetsAnExpiredKeySweepsIt) {
  Options o = options();
  o.flush_interval = 600s;  // no background sweep during the test
  KeyValueStore store(o);
  store.set_with_ttl("k", "v", 1s, {"t"});
  std::this_thread::sleep_for(1100ms);
  EXPECT_EQ(members("app:{db:main}:t:t").size(), 1u);
  EXPECT_EQ(store.get("k"), std::nullopt);
  EXPECT_TRUE(members("app:{db:main}:t:t").empty());
  EXPECT_EQ(raw({"EXISTS", "app:{db:main}:v:k", "app:{db:main}:m:k"})->integer, 0);
}

TEST_F(RedisBackendTest, WritesOfAnotherProcessInvalidateTheQueryCache) {
  KeyValueStore store(options());
  store.set("mine", "v", {"shared"});
  EXPECT_FALSE(store.query(Query::tag("shared")).cache_hit);
  EXPECT_TRUE(store.query(Query::tag("shared")).cache_hit);
  std::string command = std::string(NADB_REDIS_WRITER) + " " + std::to_string(server_.port()) +
                        " app main theirs shared";
  ASSERT_EQ(std::system(command.c_str()), 0) << command;
  QueryResult after = store.query(Query::tag("shared"));
  EXPECT_FALSE(after.cache_hit);
  EXPECT_EQ(after.keys, (std::vector<std::string>{"mine", "theirs"}));
  EXPECT_EQ(store.get("theirs"), "from another process");
}

TEST_F(RedisBackendTest, FlushdbRemovesExactlyOneNamespace) {
  KeyValueStore a(options("a"));
  KeyValueStore b(options("b"));
  for (int i = 0; i < 50; ++i) {
    a.set("k" + std::to_string(i), "v", {"t"});
    b.set("k" + std::to_string(i), "v", {"t"});
  }
  a.flushdb();
  EXPECT_EQ(a.get_all_keys().size(), 0u);
  EXPECT_EQ(b.get_all_keys().size(), 50u);
  // What remains of a: its write generation, its shard count and the tombstones of
  // incremental backups.
  EXPECT_EQ(keys_matching("app:{db:a}:*"),
            (std::vector<std::string>{"app:{db:a}:d", "app:{db:a}:gen", "app:{db:a}:shards"}));
  EXPECT_EQ(keys_matching("app:{db:b}:v:*").size(), 50u);
}

TEST_F(RedisBackendTest, ScriptsLostByTheServerAreSentAgain) {
  KeyValueStore store(options());
  store.set("a", "1", {"t"});
  raw({"SCRIPT", "FLUSH"});
  store.set("b", "2", {"t"});
  EXPECT_EQ(store.query_by_tags({"t"}), (std::vector<std::string>{"a", "b"}));
}

TEST_F(RedisBackendTest, OutageThrowsBackendUnavailableThenRecovers) {
  Options o = options();
  o.redis.pool_size = 4;
  KeyValueStore store(o);
  store.set("before", "v", {"t"});
  server_.stop();
  auto start = std::chrono::steady_clock::now();
  EXPECT_THROW(store.get("before"), BackendUnavailable);  // never a miss
  EXPECT_THROW(store.set("during", "v"), BackendUnavailable);
  EXPECT_THROW(store.query_by_tags({"t"}), BackendUnavailable);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);  // bounded by the timeouts
  server_.start();  // an empty server: no persistence in tests
  auto deadline = std::chrono::steady_clock::now() + 10s;
  bool recovered = false;
  while (!recovered && std::chrono::steady_clock::now() < deadline) {
    try {
      store.set("after", "v", {"t"});
      recovered = true;
    } catch (const BackendUnavailable&) {
      std::this_thread::sleep_for(20ms);
    }
  }
  ASSERT_TRUE(recovered);
  EXPECT_EQ(store.query_by_tags({"t"}), (std::vector<std::string>{"after"}));
  EXPECT_GE(store.get_stats().storage.pool.reconnects, 1u);
}

TEST_F(RedisBackendTest, ValueOverRedisLimitIsRefusedBeforeSending) {
  KeyValueStore store(options());
  std::string huge((512u << 20) + 1, 'x');
  EXPECT_THROW(store.set("huge", huge), InvalidArgument);
  EXPECT_EQ(raw({"EXISTS", "app:{db:main}:v:huge"})->integer, 0);
  EXPECT_EQ(store.capabilities().max_value_size, 512u << 20);
}

TEST_F(RedisBackendTest, StatsReportThePool) {
  KeyValueStore store(options());
  store.set("a", "1");
  Stats stats = store.get_stats();
  EXPECT_EQ(stats.storage.backend, "redis");
  EXPECT_EQ(stats.storage.pool.size, 10u);
  EXPECT_GE(stats.storage.pool.created, 1u);
  EXPECT_NE(stats.to_prometheus().find("nadb_pool_connections_idle{"), std::string::npos);
  EXPECT_NE(stats.to_json().find("\"reconnects\""), std::string::npos);
}

TEST_F(RedisBackendTest, TwoStoresOfOneNamespaceConflictUnderSerializable) {
  KeyValueStore a(options());
  a.set("balance", "10");
  Transaction tx = a.transaction(IsolationLevel::Serializable);
  EXPECT_EQ(tx.get("balance"), "10");
  tx.set("balance", "11");
  Options other = options();
  other.redis.pool_size = 1;  // a different pool: as if from another process
  other.redis.url = "redis://127.0.0.1:" + std::to_string(server_.port());
  KeyValueStore b(other);
  b.set("balance", "20");
  EXPECT_THROW(tx.commit(), TransactionConflict);
  EXPECT_EQ(a.get("balance"), "20");
}

}  // namespace
}  // namespace nadb::testing
