// The backends under test, by factory. Every backend suite takes this list: the backend kit
// (tests/backend/), the store conformance suite (tests/conformance/), the backup suite and the
// composed model-checked test. A new backend is proven by registering it with StorageFactory
// and adding one entry to kit_backends().
#pragma once

#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "nadb/backend.hpp"
#include "nadb/options.hpp"
#include "support/redis_cluster.hpp"
#include "support/redis_server.hpp"
#include "support/test_options.hpp"

namespace nadb::testing {

struct KitBackend {
  std::string name;  // also the gtest parameter name
  // Options of a store of db/ns on this backend, its data under folder: each folder (one per
  // test) is its own data, on a shared server too.
  std::function<Options(const std::string& folder, const std::string& db, const std::string& ns)>
      options;

  // Opens the backend of options(folder, db, ns), as a store would.
  std::shared_ptr<StorageBackend> open(const std::string& folder,
                                       const std::string& db = "db") const {
    return StorageFactory::create(options(folder, db, "default"));
  }
};

inline std::ostream& operator<<(std::ostream& out, const KitBackend& backend) {
  return out << backend.name;
}

// Whether the backend of o refuses a batch over keys of different batch groups
// (StorageBackend::batch_group) with NotSupported rather than applying it whole: a sharded
// namespace on a Redis Cluster.
inline bool refuses_batches_over_groups(const Options& o) {
  return o.backend == "redis" && o.redis.cluster && o.redis.shards > 1;
}

inline const std::vector<KitBackend>& kit_backends() {
  static const std::vector<KitBackend> backends = {
      {"fs",
       [](const std::string& folder, const std::string& db, const std::string& ns) {
         Options o = test_options(folder, db, ns);
         o.backend = "fs";
         return o;
       }},
      {"memory",
       [](const std::string& folder, const std::string& db, const std::string& ns) {
         Options o = test_options(folder, db, ns);
         o.backend = "memory";  // its data lives while a store (or backend) of the db is open
         return o;
       }},
      {"redis",
       [](const std::string& folder, const std::string& db, const std::string& ns) {
         Options o = test_options(folder, db, ns);
         o.backend = "redis";
         o.redis.port = shared_redis_server().port();
         o.redis.key_prefix = "t" + folder.substr(folder.rfind('-') + 1);  // a prefix per test
         return o;
       }},
      {"redis_cluster",
       [](const std::string& folder, const std::string& db, const std::string& ns) {
         Options o = test_options(folder, db, ns);
         o.backend = "redis";
         o.redis.cluster = true;
         o.redis.port = shared_cluster_port();
         o.redis.key_prefix = "c" + folder.substr(folder.rfind('-') + 1);
         return o;
       }},
      // Sharded namespaces (RedisOptions::shards) on one server, where a batch over shards is
      // still one script, and on the cluster, where it is refused (NotSupported) unless its
      // keys share a shard.
      {"redis_sharded",
       [](const std::string& folder, const std::string& db, const std::string& ns) {
         Options o = test_options(folder, db, ns);
         o.backend = "redis";
         o.redis.port = shared_redis_server().port();
         o.redis.key_prefix = "s" + folder.substr(folder.rfind('-') + 1);
         o.redis.shards = 4;
         return o;
       }},
      {"redis_cluster_sharded",
       [](const std::string& folder, const std::string& db, const std::string& ns) {
         Options o = test_options(folder, db, ns);
         o.backend = "redis";
         o.redis.cluster = true;
         o.redis.port = shared_cluster_port();
         o.redis.key_prefix = "k" + folder.substr(folder.rfind('-') + 1);
         o.redis.shards = 4;
         return o;
       }},
  };
  return backends;
}

}  // namespace nadb::testing
