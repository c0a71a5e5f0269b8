#include "backends/redis/shard.hpp"

#include <xxhash.h>

#include "backends/redis/cluster/key_slot.hpp"

namespace nadb::backends::redis {

std::uint32_t shard_of(std::string_view key, int shards) {
  if (shards <= 1) return 0;
  std::string_view hashed = cluster::hashed_part(key);
  return static_cast<std::uint32_t>(XXH3_64bits(hashed.data(), hashed.size()) %
                                    static_cast<std::uint64_t>(shards));
}

}  // namespace nadb::backends::redis
