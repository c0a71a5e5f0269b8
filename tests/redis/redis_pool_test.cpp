// The redis connection pool and URL parsing, against a real throwaway redis-server.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "backends/redis/connection_pool.hpp"
#include "backends/redis/redis_url.hpp"
#include "backends/redis/reply.hpp"
#include "nadb/nadb.hpp"
#include "support/raw_redis.hpp"
#include "support/redis_server.hpp"

namespace nadb::testing {
namespace {

using namespace std::chrono_literals;
using backends::redis::Command;
using backends::redis::ConnectionPool;

RedisOptions options_for(const RedisServer& server) {
  RedisOptions o;
  o.port = server.port();
  o.connect_timeout = 500ms;
  o.socket_timeout = 2000ms;
  return o;
}

TEST(RedisUrl, ParsesEveryPart) {
  RedisOptions o;
  backends::redis::apply_url("redis://alice:s3cret@cache.example:6380/4", o);
  EXPECT_EQ(o.host, "cache.example");
  EXPECT_EQ(o.port, 6380);
  EXPECT_EQ(o.database, 4);
  EXPECT_EQ(o.username, "alice");
  EXPECT_EQ(o.password, "s3cret");
  backends::redis::apply_url("redis://:pw@h", o);
  EXPECT_EQ(o.host, "h");
  EXPECT_EQ(o.port, 6379);
  EXPECT_EQ(o.database, 0);
  EXPECT_EQ(o.username, "");
  EXPECT_EQ(o.password, "pw");
  backends::redis::apply_url("redis://localhost", o);
  EXPECT_EQ(o.password, "");
}

TEST(RedisUrl, AClusterUrlNamesItsSeedNodes) {
  RedisOptions o;
  backends::redis::apply_url("redis+cluster://u:p@n1:7000,n2,n3:7002/", o);
  EXPECT_TRUE(o.cluster);
  EXPECT_EQ(o.host, "n1");
  EXPECT_EQ(o.port, 7000);
  EXPECT_EQ(o.seed_nodes, (std::vector<std::string>{"n2:6379", "n3:7002"}));
  EXPECT_EQ(o.username, "u");
  EXPECT_EQ(o.database, 0);
  backends::redis::apply_url("rediss+cluster://[::1]:7000,[fe80::1]/", o);
  EXPECT_TRUE(o.tls);
  EXPECT_EQ(o.host, "::1");
  EXPECT_EQ(o.port, 7000);
  EXPECT_EQ(o.seed_nodes, (std::vector<std::string>{"fe80::1:6379"}));
  backends::redis::apply_url("redis://h", o);  // a plain URL is not a cluster's
  EXPECT_FALSE(o.cluster);
  EXPECT_TRUE(o.seed_nodes.empty());
}

TEST(RedisUrl, ShardsComeFromTheUrlWhenItNamesThem) {
  RedisOptions o;
  backends::redis::apply_url("redis+cluster://n1:7000,n2/?shards=4", o);
  EXPECT_EQ(o.shards, 4);
  EXPECT_EQ(o.seed_nodes, (std::vector<std::string>{"n2:6379"}));
  backends::redis::apply_url("redis://p?w@h:1/2?shards=3", o);  // '?' in a password is kept
  EXPECT_EQ(o.password, "p?w");
  EXPECT_EQ(o.database, 2);
  EXPECT_EQ(o.shards, 3);
  backends::redis::apply_url("redis://h", o);  // RedisOptions::shards otherwise
  EXPECT_EQ(o.shards, 3);
  for (const char* bad : {"redis://h?shard=2", "redis://h/?shards=", "redis://h/?shards=x",
                          "redis://h?shards=2000", "redis://h?shards=2&x=1"})
    EXPECT_THROW(backends::redis::apply_url(bad, o), InvalidArgument) << bad;
  EXPECT_EQ(o.shards, 3);
}

TEST(RedisUrl, RejectsMalformedUrlsAndChangesNothing) {
  RedisOptions o;
  o.host = "kept";
  for (const char* bad :
       {"http://h:1", "redis://", "redis://h:port", "redis://h:70000", "redis://h:1/x",
        "redis://h:-1", "redis://a:1,b:2", "redis+cluster://a:1/3", "redis+cluster://a:1,",
        "redis+cluster://a,,b", "redis+cluster://", "redis+cluster://a:1,b:x"}) {
    EXPECT_THROW(backends::redis::apply_url(bad, o), InvalidArgument) << bad;
  }
  EXPECT_EQ(o.host, "kept");
}

TEST(RedisUrl, BadUrlInOptionsFailsTheOpen) {
  Options o;
  o.backend = "redis";
  o.redis.url = "redis://h:notaport";
  EXPECT_THROW(KeyValueStore{o}, InvalidArgument);
}

// A reply announcing more elements than NADB ever asks for is refused before hiredis
// allocates them (a broken server could otherwise make one reply take gigabytes).
TEST(RedisReply, ArraysAboveTheLimitAreRefused) {
  auto parse = [](const std::string& bytes) {
    std::unique_ptr<redisReader, decltype(&redisReaderFree)> reader(redisReaderCreate(),
                                                                    &redisReaderFree);
    backends::redis::limit_reader(*reader);
    redisReaderFeed(reader.get(), bytes.data(), bytes.size());
    void* reply = nullptr;
    int status = redisReaderGetReply(reader.get(), &reply);
    if (reply != nullptr) freeReplyObject(reply);
    return status;
  };
  EXPECT_EQ(parse("*2\r\n:1\r\n:2\r\n"), REDIS_OK);
  EXPECT_EQ(parse("*" + std::to_string(backends::redis::kMaxReplyElements) + "\r\n"), REDIS_OK);
  EXPECT_EQ(parse("*" + std::to_string(backends::redis::kMaxReplyElements + 1) + "\r\n"),
            REDIS_ERR);
  EXPECT_EQ(parse("*1\r\n*1111111111\r\n"), REDIS_ERR);
}

TEST(RedisPool, ConnectsLazilyAndReusesConnections) {
  RedisServer server;
  ConnectionPool pool(options_for(server));
  EXPECT_EQ(pool.stats().created, 0u);
  for (int i = 0; i < 5; ++i) {
    auto lease = pool.acquire();
    EXPECT_EQ(lease->run(Command{"PING"})->str, std::string("PONG"));
  }
  PoolStats s = pool.stats();
  EXPECT_EQ(s.created, 1u);
  EXPECT_EQ(s.in_use, 0u);
  EXPECT_EQ(s.idle, 1u);
}

TEST(RedisPool, ExhaustedPoolWaitsThenTimesOut) {
  RedisServer server;
  RedisOptions o = options_for(server);
  o.pool_size = 2;
  o.pool_wait_timeout = 100ms;
  ConnectionPool pool(o);
  {
    auto a = pool.acquire();
    auto b = pool.acquire();
    EXPECT_EQ(pool.stats().in_use, 2u);
    auto start = std::chrono::steady_clock::now();
    EXPECT_THROW(pool.acquire(), BackendUnavailable);
    EXPECT_GE(std::chrono::steady_clock::now() - start, 100ms);
  }
  PoolStats s = pool.stats();
  EXPECT_EQ(s.waits, 1u);
  EXPECT_EQ(s.timeouts, 1u);
  EXPECT_EQ(s.created, 2u);
  EXPECT_EQ(s.in_use, 0u);
  pool.acquire();  // free again
}

TEST(RedisPool, WaiterGetsTheReturnedConnection) {
  RedisServer server;
  RedisOptions o = options_for(server);
  o.pool_size = 1;
  ConnectionPool pool(o);
  auto held = std::make_unique<ConnectionPool::Lease>(pool.acquire());
  std::atomic<bool> got{false};
  std::thread waiter([&] {
    auto lease = pool.acquire();
    got = true;
  });
  std::this_thread::sleep_for(50ms);
  EXPECT_FALSE(got);
  held.reset();
  waiter.join();
  EXPECT_TRUE(got);
  EXPECT_EQ(pool.stats().waits, 1u);
  EXPECT_EQ(pool.stats().created, 1u);
}

TEST(RedisPool, LeaseReturnsTheConnectionWhenItsUserThrows) {
  RedisServer server;
  ConnectionPool pool(options_for(server));
  try {
    auto lease = pool.acquire();
    throw std::runtime_error("user code failed");
  } catch (const std::runtime_error&) {
  }
  EXPECT_EQ(pool.stats().in_use, 0u);
  EXPECT_EQ(pool.stats().idle, 1u);
}

TEST(RedisPool, HealthChecksOnlyLongIdleConnections) {
  RedisServer server;
  RedisOptions o = options_for(server);
  o.health_check_interval = 1h;
  ConnectionPool busy(o);
  for (int i = 0; i < 3; ++i)
    busy.acquire();
  EXPECT_EQ(busy.stats().health_checks, 0u);

  o.health_check_interval = 20ms;
  ConnectionPool idle(o);
  idle.acquire();
  std::this_thread::sleep_for(30ms);
  idle.acquire();
  EXPECT_EQ(idle.stats().health_checks, 1u);
  EXPECT_EQ(idle.stats().created, 1u);  // the check passed: the same connection
}

TEST(RedisPool, DeadIdleConnectionIsReplacedAfterItsHealthCheck) {
  RedisServer server;
  RedisOptions o = options_for(server);
  o.health_check_interval = 0ms;
  ConnectionPool pool(o);
  pool.acquire();
  server.stop();
  server.start();
  auto lease = pool.acquire();  // the PING fails, a fresh connection is made
  EXPECT_EQ(lease->run(Command{"PING"})->str, std::string("PONG"));
  EXPECT_EQ(pool.stats().created, 2u);
}

TEST(RedisPool, UnreachableServerFailsFastWithBackoff) {
  RedisServer server;
  RedisOptions o = options_for(server);
  server.stop();
  ConnectionPool pool(o);
  // For 300 ms, acquire as fast as possible: every call fails at once, and only the few
  // attempts the exponential backoff allows (at 0, ~50, ~150 ms...) try to connect.
  auto start = std::chrono::steady_clock::now();
  int calls = 0;
  while (std::chrono::steady_clock::now() - start < 300ms) {
    EXPECT_THROW(pool.acquire(), BackendUnavailable);
    ++calls;
  }
  EXPECT_GT(calls, 50);
  EXPECT_GE(pool.stats().failed, 1u);
  EXPECT_LE(pool.stats().failed, 5u);
  EXPECT_EQ(pool.stats().open, 0u);
}

TEST(RedisPool, AuthenticatesWithPasswordAndWithAclUser) {
  RedisServer server(
      {"--requirepass", "topsecret", "--user", "alice", "on", ">wonderland", "~*", "&*", "+@all"});
  RedisOptions o = options_for(server);
  {
    ConnectionPool anonymous(o);
    auto lease = anonymous.acquire();  // connects; the server refuses commands
    EXPECT_TRUE(backends::redis::is_error(*lease->run(Command{"GET", "x"})));
  }
  o.password = "topsecret";
  EXPECT_NO_THROW(ConnectionPool(o).acquire());
  backends::redis::apply_url(
      "redis://alice:wonderland@127.0.0.1:" + std::to_string(server.port()) + "/2", o);
  {
    ConnectionPool alice(o);
    auto lease = alice.acquire();
    EXPECT_EQ(lease->run(Command{"ACL", "WHOAMI"})->str, std::string("alice"));
  }
  o.password = "wrong";
  try {
    ConnectionPool(o).acquire();
    ADD_FAILURE() << "a wrong password was accepted";
  } catch (const BackendUnavailable& e) {
    EXPECT_NE(std::string(e.what()).find("AUTH"), std::string::npos) << e.what();
  }
}

// Found by review: stores whose settings differ never share a backend, even when their
// fields would run together ("p/q" + "r" against "p" + "q/r"): each writes under its prefix.
TEST(RedisPool, StoresWhoseSettingsDifferDoNotShareABackend) {
  RedisServer server({"--user", "default", "on", ">p/q", ">p", "~*", "&*", "+@all"});
  Options a = redis_store_options(server, "n"), b = a;
  a.redis.password = "p/q";
  a.redis.key_prefix = "r";
  b.redis.password = "p";
  b.redis.key_prefix = "q/r";
  KeyValueStore(a).set("from_a", "1");
  KeyValueStore(b).set("from_b", "1");
  RawRedis raw(server.port());
  EXPECT_EQ(raw.run({"AUTH", "p"})->type, REDIS_REPLY_STATUS);
  EXPECT_EQ(raw.run({"EXISTS", "r:{db:n}:v:from_a"})->integer, 1);
  EXPECT_EQ(raw.run({"EXISTS", "q/r:{db:n}:v:from_b"})->integer, 1);
}

}  // namespace
}  // namespace nadb::testing
