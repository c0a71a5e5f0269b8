// The Redis Cluster hash slot (backends/redis/cluster/key_slot.hpp) against the
// specification's check value and against a real cluster's CLUSTER KEYSLOT, hash-tag edge
// cases and binary keys included.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "backends/redis/cluster/key_slot.hpp"
#include "support/raw_redis.hpp"
#include "support/redis_cluster.hpp"

namespace nadb::testing {
namespace {

using backends::redis::cluster::crc16;
using backends::redis::cluster::hashed_part;
using backends::redis::cluster::key_slot;

TEST(ClusterSlot, Crc16IsTheXmodemVariant) {
  EXPECT_EQ(crc16("123456789"), 0x31C3);  // the specification's check value
  EXPECT_EQ(crc16(""), 0);
}

TEST(ClusterSlot, TheHashTagIsBetweenTheFirstOpenBraceAndTheNextClose) {
  EXPECT_EQ(hashed_part("{user1000}.following"), "user1000");
  EXPECT_EQ(hashed_part("foo{}{bar}"), "foo{}{bar}");  // an empty tag: the whole key
  EXPECT_EQ(hashed_part("foo{{bar}}zap"), "{bar");
  EXPECT_EQ(hashed_part("foo{bar}{zap}"), "bar");
  EXPECT_EQ(hashed_part("no braces"), "no braces");
  EXPECT_EQ(hashed_part("open{only"), "open{only");
  EXPECT_EQ(hashed_part("nadb:{db:ns}:m:key"), "db:ns");
}

TEST(ClusterSlot, EveryKeyLandsInTheSlotARealClusterComputes) {
  RedisCluster cluster(3, 0);
  RawRedis redis(cluster.nodes()[0]->port());
  std::vector<std::string> keys = {"",
                                   "a",
                                   "{",
                                   "}",
                                   "{}",
                                   "}{a}",
                                   "{a}{b}",
                                   "a{b",
                                   "{{a}}",
                                   "x{}y{z}",
                                   "{db:ns}",
                                   "nadb:{db:ns}:v:key",
                                   std::string("\0{\0}", 4)};
  std::mt19937 rng(20261206);
  for (int i = 0; i < 300; ++i) {
    std::string key(rng() % 24, '\0');
    for (char& c : key) {
      unsigned roll = rng() % 8;
      c = roll == 0 ? '{' : roll == 1 ? '}' : static_cast<char>(rng() % 256);
    }
    keys.push_back(key);
  }
  for (const auto& key : keys) {
    backends::redis::Reply reply = redis.run({"CLUSTER", "KEYSLOT", key});
    ASSERT_EQ(key_slot(key), reply->integer) << "key of " << key.size() << " bytes";
  }
}

}  // namespace
}  // namespace nadb::testing
