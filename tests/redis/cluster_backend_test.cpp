// The redis backend on a real Redis Cluster, under the faults clusters are for: a master killed
// while a writer waits for replicas (WAIT), a master without a replica down, and slots resharded
// by `redis-cli --cluster reshard` while writers and readers run. The contracts themselves run
// on the shared cluster in the backend kit, the conformance suite, the backup suite and the
// composed test (support/backend_kit.hpp, "redis_cluster").
#include <gtest/gtest.h>

#include <atomic>
#include <iostream>
#include <map>
#include <string>
#include <thread>

#include "backends/redis/cluster/key_slot.hpp"
#include "backends/redis/cluster/slot_map.hpp"
#include "nadb/errors.hpp"
#include "nadb/store.hpp"
#include "support/raw_redis.hpp"
#include "support/redis_cluster.hpp"
#include "support/redis_server.hpp"
#include "support/tls_files.hpp"

namespace nadb::testing {
namespace {

using backends::redis::cluster::key_slot;
using Clock = std::chrono::steady_clock;

Options cluster_options(const RedisCluster& cluster, const std::string& ns) {
  Options o;
  o.backend = "redis";
  o.db = "db";
  o.ns = ns;
  o.redis.cluster = true;
  o.redis.port = cluster.nodes()[0]->port();
  o.redis.seed_nodes = {"127.0.0.1:" + std::to_string(cluster.nodes()[1]->port())};
  o.redis.connect_timeout = std::chrono::milliseconds(500);
  o.redis.socket_timeout = std::chrono::milliseconds(15000);
  return o;
}

// The slot of namespace ns of db "db" under the default key prefix.
std::uint16_t slot_of(const std::string& ns) {
  return key_slot("nadb:{db:" + ns + "}");
}

// The index of the running node serving namespace ns's slot now (the others answer MOVED);
// throws when none does.
std::size_t master_of(const RedisCluster& cluster, const std::string& ns) {
  const std::string probe = "{db:" + ns + "}";
  for (std::size_t i = 0; i < cluster.nodes().size(); ++i) {
    if (!cluster.nodes()[i]->running()) continue;
    if (!backends::redis::is_error(*RawRedis(cluster.nodes()[i]->port()).run({"EXISTS", probe})))
      return i;
  }
  throw std::runtime_error("no node serves namespace " + ns);
}

// A namespace name (base followed by a number) whose master is node `master`.
std::string namespace_on(const RedisCluster& cluster, std::size_t master, const std::string& base) {
  for (int i = 0;; ++i) {
    std::string ns = base + std::to_string(i);
    if (master_of(cluster, ns) == master) return ns;
  }
}

// A master killed with SIGKILL under a writer that waits for one replica per write: its
// replica takes over, the writer finds it by itself, and every acknowledged write is there.
// Writes meanwhile wait for the new master (within the socket timeout); once it is master,
// it has no replica until the killed node returns as one (it is restarted only then: without
// persistence, a master returning before its replica took over would come back empty), so
// writes in that window are applied but not confirmed: they throw, and are counted as errors
// of the window, as is the write whose connection the kill cut.
TEST(ClusterBackend, AFailoverLosesNoWriteAReplicaConfirmed) {
  RedisCluster cluster(3, 1);
  std::string ns = namespace_on(cluster, 0, "f");
  Options o = cluster_options(cluster, ns);
  o.redis.wait_replicas = 1;
  o.redis.wait_timeout = std::chrono::milliseconds(500);
  KeyValueStore store(o);
  std::map<std::string, std::string> acknowledged;
  int errors = 0, writes = 0;
  auto write = [&](int i) {
    std::string key = "k" + std::to_string(i), value = "v" + std::to_string(i);
    ++writes;
    try {
      store.set(key, value, {"t" + std::to_string(i % 3)});
      acknowledged[key] = value;
    } catch (const BackendUnavailable& e) {
      ++errors;
      EXPECT_NE(std::string(e.what()).find("may or may not"), std::string::npos) << e.what();
    }
  };
  int i = 0;
  for (; i < 100; ++i)
    write(i);
  ASSERT_EQ(errors, 0);
  cluster.nodes()[0]->stop();
  auto started = Clock::now();
  std::size_t before = acknowledged.size();
  auto promoted = [&] {
    try {
      return master_of(cluster, ns) != 0;
    } catch (const std::runtime_error&) {
      return false;  // no master yet
    }
  };
  while (acknowledged.size() < before + 20 && Clock::now() - started < std::chrono::seconds(60)) {
    write(i++);
    if (!cluster.nodes()[0]->running() && promoted()) cluster.nodes()[0]->start();  // a replica
  }
  ASSERT_GE(acknowledged.size(), before + 20) << "the writer did not recover by itself";
  std::cout << "  failover: " << writes << " writes, " << acknowledged.size() << " confirmed, "
            << errors << " errors in the failover window, recovered after "
            << std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count()
            << " ms\n";
  for (const auto& [key, value] : acknowledged)
    EXPECT_EQ(store.get(key), value) << key;
  EXPECT_EQ(store.query_by_tags({"t0"}).size() + store.query_by_tags({"t1"}).size() +
                store.query_by_tags({"t2"}).size(),
            store.count());
}

// A master without a replica down: its namespaces get BackendUnavailable naming the slot, the
// others keep working, and its namespaces work again when it is back.
TEST(ClusterBackend, AMasterDownFailsOnlyItsNamespaces) {
  RedisCluster cluster(3, 0);
  Options down = cluster_options(cluster, namespace_on(cluster, 0, "down"));
  Options up = cluster_options(cluster, namespace_on(cluster, 1, "up"));
  down.redis.socket_timeout = up.redis.socket_timeout = std::chrono::milliseconds(1500);
  KeyValueStore lost(down), kept(up);
  lost.set("k", "before");
  kept.set("k", "before");
  cluster.nodes()[0]->stop();
  try {
    lost.set("k", "during");
    ADD_FAILURE() << "a write to a master that is down succeeded";
  } catch (const BackendUnavailable& e) {
    EXPECT_NE(std::string(e.what()).find("slot " + std::to_string(slot_of(down.ns))),
              std::string::npos)
        << e.what();
  }
  EXPECT_THROW(lost.get("k"), BackendUnavailable);
  cluster.wait_until_failed(cluster.nodes()[0]->port());
  kept.set("k", "during");
  EXPECT_EQ(kept.get("k"), "during");
  cluster.nodes()[0]->start();  // without persistence: it returns empty
  cluster.wait_until_ok();
  lost.set("k", "after");
  EXPECT_EQ(lost.get("k"), "after");
  EXPECT_EQ(kept.get("k"), "during");
}

// Slots moved between masters by `redis-cli --cluster reshard` while writers and readers run
// in namespaces on those slots: no error reaches a caller, nothing is lost, and every script
// ran where all of its namespace's keys were (the tags agree with the values).
TEST(ClusterBackend, ReshardingUnderLoadLosesNothing) {
  RedisCluster cluster(3, 0);
  std::string from_id = RawRedis(cluster.nodes()[0]->port()).run({"CLUSTER", "MYID"})->str;
  std::string to_id = RawRedis(cluster.nodes()[1]->port()).run({"CLUSTER", "MYID"})->str;
  // Namespaces among the first 2000 slots of node 0 (the ones the reshard takes first).
  std::vector<std::string> spaces;
  for (int i = 0; spaces.size() < 4; ++i) {
    std::string ns = "r" + std::to_string(i);
    if (slot_of(ns) < 2000) spaces.push_back(ns);
  }
  std::atomic<bool> stop{false};
  std::atomic<int> errors{0}, operations{0};
  std::vector<std::map<std::string, std::string>> expected(spaces.size());
  std::vector<std::thread> threads;
  std::vector<std::unique_ptr<KeyValueStore>> stores;
  for (const auto& ns : spaces)
    stores.push_back(std::make_unique<KeyValueStore>(cluster_options(cluster, ns)));
  for (std::size_t t = 0; t < spaces.size(); ++t) {
    threads.emplace_back([&, t] {
      KeyValueStore& store = *stores[t];
      for (int i = 0; !stop.load(); ++i) {
        std::string key = "k" + std::to_string(i % 200), value = "v" + std::to_string(i);
        try {
          if (i % 7 == 3) {
            store.remove(key);
            expected[t].erase(key);
          } else {
            store.set(key, value, {"tag" + std::to_string(i % 5)});
            expected[t][key] = value;
          }
          auto it = expected[t].find("k" + std::to_string((i * 13) % 200));
          auto read = store.get("k" + std::to_string((i * 13) % 200));
          if (it != expected[t].end() && read != it->second) ++errors;
          if (i % 50 == 0) store.query_by_tags({"tag1"});
          ++operations;
        } catch (const std::exception& e) {
          std::cerr << "  " << spaces[t] << ": " << e.what() << "\n";
          ++errors;
        }
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  std::string reshard =
      "--cluster reshard 127.0.0.1:" + std::to_string(cluster.nodes()[0]->port()) +
      " --cluster-from " + from_id + " --cluster-to " + to_id +
      " --cluster-slots 2000 --cluster-yes";
  RedisCluster::cli(cluster.nodes()[0]->port(), reshard);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  stop = true;
  for (auto& thread : threads)
    thread.join();
  EXPECT_EQ(errors.load(), 0);
  std::uint64_t moved = 0, asked = 0, waits = 0;
  for (std::size_t t = 0; t < spaces.size(); ++t) {
    EXPECT_EQ(master_of(cluster, spaces[t]), 1u) << spaces[t] << " was not moved";
    KeyValueStore& store = *stores[t];
    for (const auto& [key, value] : expected[t])
      EXPECT_EQ(store.get(key), value) << spaces[t] << " " << key;
    EXPECT_EQ(store.count(), expected[t].size()) << spaces[t];
    std::size_t tagged = 0;
    for (int tag = 0; tag < 5; ++tag)
      tagged += store.query_by_tags({"tag" + std::to_string(tag)}).size();
    EXPECT_EQ(tagged, expected[t].size()) << spaces[t];
    Stats stats = store.get_stats();
    moved = std::max(moved, stats.storage.pool.cluster_moved);
    asked = std::max(asked, stats.storage.pool.cluster_asked);
    waits = std::max(waits, stats.storage.pool.cluster_waits);
  }
  EXPECT_GT(moved + waits, 0u) << "the client never noticed the slots move";
  std::cout << "  resharding: " << operations.load() << " operations, " << errors.load()
            << " errors, " << moved << " MOVED and " << asked << " ASK followed, " << waits
            << " waits (a script's slot migrating, or TRYAGAIN)\n";
}

// A cluster over TLS: the map names every node by its TLS port, a namespace on each master
// is written and read over TLS, and a wrong CA is refused at the seed.
TEST(ClusterBackend, EveryNodeIsReachedOverTls) {
  TlsFiles files;
  RedisCluster cluster(3, 0, &files);
  Options o = cluster_options(cluster, "");
  o.redis.url = "rediss+cluster://127.0.0.1:" + std::to_string(cluster.tls_port(0)) + "/";
  o.redis.tls_ca_file = files.ca();
  for (std::size_t master = 0; master < 3; ++master) {
    o.ns = namespace_on(cluster, master, "tls");
    KeyValueStore store(o);
    store.set("k", "on master " + std::to_string(master), {"t"});
    EXPECT_EQ(store.get("k"), "on master " + std::to_string(master));
    EXPECT_EQ(store.query_by_tags({"t"}), std::vector<std::string>{"k"});
  }
  backends::redis::cluster::NodeAddress seed{"127.0.0.1", cluster.tls_port(0)};
  auto shards = RawRedis(cluster.nodes()[0]->port()).run({"CLUSTER", "SHARDS"});
  auto map = backends::redis::cluster::SlotMap::from_shards(*shards, seed, true);
  for (const auto& master : map.masters()) {
    bool a_tls_port = false;
    for (std::size_t i = 0; i < 3; ++i)
      a_tls_port = a_tls_port || master.port == cluster.tls_port(i);
    EXPECT_TRUE(a_tls_port) << master.text();
  }
  o.redis.tls_ca_file = files.other_ca();
  o.redis.socket_timeout = std::chrono::milliseconds(1000);
  o.ns = "refused";
  try {
    KeyValueStore(o).set("k", "v");
    ADD_FAILURE() << "a cluster whose certificate does not verify was written";
  } catch (const BackendUnavailable& e) {
    EXPECT_NE(std::string(e.what()).find("does not verify"), std::string::npos) << e.what();
  }
}

// A cluster's node opened as a single server, and a single server opened as a cluster, are
// named as such at once (not after a timeout, not as a reply of the wrong type).
TEST(ClusterBackend, TheWrongKindOfServerIsNamedAtOnce) {
  int refused = 0;
  for (int i = 0; i < 10; ++i) {  // some of these namespaces are on other masters: MOVED
    Options o;
    o.backend = "redis";
    o.db = "db";
    o.ns = "plain" + std::to_string(i);
    o.redis.port = shared_cluster_port();
    o.redis.key_prefix = "wrongkind";
    try {
      KeyValueStore(o).set("k", "v");
    } catch (const InvalidArgument& e) {
      EXPECT_NE(std::string(e.what()).find("redis+cluster://"), std::string::npos) << e.what();
      ++refused;
    }
  }
  EXPECT_GT(refused, 0);
  RedisServer server;
  Options o = redis_store_options(server, "n");
  o.redis.cluster = true;
  auto started = Clock::now();
  try {
    KeyValueStore(o).set("k", "v");
    ADD_FAILURE() << "a single server was used as a cluster";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("is not a Redis Cluster node"), std::string::npos)
        << e.what();
  }
  EXPECT_LT(Clock::now() - started, o.redis.socket_timeout);
}

// WAIT: a write no replica confirms in time throws, saying it may or may not survive a
// failover; it is applied on the server all the same. (The first write of a namespace
// registers it first, and that registration waits too.)
TEST(RedisWait, AWriteNotConfirmedInTimeThrowsButIsApplied) {
  RedisServer server;  // no replica
  Options o = redis_store_options(server, "w");
  KeyValueStore(o).set("k", "old");
  o.redis.wait_replicas = 1;
  o.redis.wait_timeout = std::chrono::milliseconds(50);
  KeyValueStore store(o);
  try {
    store.set("k", "v");
    ADD_FAILURE() << "a write no replica confirmed was acknowledged";
  } catch (const BackendUnavailable& e) {
    EXPECT_NE(std::string(e.what()).find("0 of the 1 replicas"), std::string::npos) << e.what();
  }
  EXPECT_EQ(store.get("k"), "v");
  for (auto [replicas, timeout] : {std::pair{-1, 100}, {1, 0}}) {
    Options bad = o;
    bad.redis.wait_replicas = replicas;
    bad.redis.wait_timeout = std::chrono::milliseconds(timeout);
    EXPECT_THROW(KeyValueStore{bad}, InvalidArgument) << replicas << " " << timeout;
  }
}

}  // namespace
}  // namespace nadb::testing
