// The Redis Cluster hash slot (backends/redis/cluster/key_slot.hpp) against the
// specification's check value and against a real cluster's CLUSTER KEYSLOT, hash-tag edge
// cases and binary keys included; the slot map (slot_map.hpp) against where a real cluster
// takes and redirects writes.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "backends/redis/cluster/key_slot.hpp"
#include "backends/redis/cluster/slot_map.hpp"
#include "nadb/errors.hpp"
#include "support/raw_redis.hpp"
#include "support/redis_cluster.hpp"

namespace nadb::testing {
namespace {

using backends::redis::cluster::crc16;
using backends::redis::cluster::hashed_part;
using backends::redis::cluster::key_slot;
using backends::redis::cluster::NodeAddress;
using backends::redis::cluster::SlotMap;

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

TEST(ClusterMap, NodeAddressesAreHostColonPort) {
  EXPECT_EQ(NodeAddress::parse("127.0.0.1:7000"), (NodeAddress{"127.0.0.1", 7000}));
  EXPECT_EQ(NodeAddress::parse("::1:7000"), (NodeAddress{"::1", 7000}));
  EXPECT_EQ(NodeAddress::parse(":7000"), (NodeAddress{"", 7000}));
  for (const char* bad : {"", "host", "host:", "host:0", "host:65536", "host:7x", "host:-1"})
    EXPECT_THROW(NodeAddress::parse(bad), InvalidArgument) << bad;
}

backends::redis::Reply parse_reply(const std::string& resp) {
  redisReader* reader = redisReaderCreate();
  redisReaderFeed(reader, resp.data(), resp.size());
  void* reply = nullptr;
  redisReaderGetReply(reader, &reply);
  redisReaderFree(reader);
  return backends::redis::Reply(static_cast<redisReply*>(reply));
}

// Found by review: ports were narrowed unchecked (2^32 + 6379 became 6379, 70000 was taken).
TEST(ClusterMap, AMapNamingImpossiblePortsIsRefused) {
  auto slots_reply = [](const std::string& port) {
    return parse_reply("*1\r\n*3\r\n:0\r\n:16383\r\n*2\r\n$9\r\n127.0.0.1\r\n:" + port + "\r\n");
  };
  NodeAddress answering{"127.0.0.1", 1};
  EXPECT_EQ(SlotMap::from_slots(*slots_reply("6379"), answering).master_of(0)->port, 6379);
  for (const char* port : {"0", "-1", "70000", "4294973675"})
    EXPECT_THROW(SlotMap::from_slots(*slots_reply(port), answering), Corruption) << port;
}

TEST(ClusterMap, EveryKeyGoesToTheMasterThatTakesIt) {
  RedisCluster cluster(3, 1);
  RawRedis redis(cluster.nodes()[0]->port());
  NodeAddress answering{"127.0.0.1", cluster.nodes()[0]->port()};
  SlotMap shards = SlotMap::from_shards(*redis.run({"CLUSTER", "SHARDS"}), answering);
  SlotMap slots = SlotMap::from_slots(*redis.run({"CLUSTER", "SLOTS"}), answering);
  EXPECT_EQ(shards.uncovered_slots(), 0u);
  EXPECT_EQ(shards.masters().size(), 3u);
  EXPECT_EQ(shards.nodes().size(), 6u);  // the replicas are named too
  EXPECT_EQ(slots.uncovered_slots(), 0u);
  for (int slot = 0; slot < backends::redis::cluster::kSlotCount; ++slot) {
    ASSERT_EQ(*shards.master_of(static_cast<std::uint16_t>(slot)),
              *slots.master_of(static_cast<std::uint16_t>(slot)))
        << "slot " << slot;
  }
  for (int i = 0; i < 60; ++i) {
    std::string key = "nadb:{db:ns" + std::to_string(i) + "}:m:k";
    NodeAddress master = *shards.master_of(key_slot(key));
    RawRedis owner(master.port);
    EXPECT_EQ(owner.run({"SET", key, "v"})->type, REDIS_REPLY_STATUS) << key;
    for (const NodeAddress& other : shards.masters()) {
      if (other == master) continue;
      backends::redis::Reply moved = RawRedis(other.port).run({"SET", key, "v"});
      EXPECT_EQ(backends::redis::error_text(*moved),
                "MOVED " + std::to_string(key_slot(key)) + " " + master.text());
    }
  }
  SlotMap moved = shards;
  moved.move(5, NodeAddress{"10.0.0.9", 7001});
  EXPECT_EQ(*moved.master_of(5), (NodeAddress{"10.0.0.9", 7001}));
  EXPECT_EQ(*moved.master_of(6), *shards.master_of(6));
  EXPECT_EQ(SlotMap().uncovered_slots(), 16384u);
  EXPECT_EQ(SlotMap().master_of(0), nullptr);
}

}  // namespace
}  // namespace nadb::testing
