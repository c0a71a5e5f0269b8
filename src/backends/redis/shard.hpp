// Sharded namespaces (RedisOptions::shards): which shard of a namespace a key lives in.
#pragma once

#include <cstdint>
#include <string_view>

namespace nadb::backends::redis {

// The largest RedisOptions::shards: a namespace's shards are slots of a Redis Cluster (16384),
// and every scan, count or query of it runs once per shard.
inline constexpr int kMaxShards = 1024;

// The shard in [0, shards) of key: XXH3 of its hash tag (the bytes between its first '{' and
// the next '}', when not empty, as Redis Cluster hashes keys) or else of the whole key. Keys
// that share a tag share a shard, so a batch over them is one script on a cluster. Stable
// forever: it decides where stored keys are.
std::uint32_t shard_of(std::string_view key, int shards);

}  // namespace nadb::backends::redis
