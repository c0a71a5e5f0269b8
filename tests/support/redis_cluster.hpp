// RedisCluster: a throwaway Redis Cluster for tests — `masters` masters with
// `replicas_per_master` replicas each, every node a RedisServer (127.0.0.1, free ports for the
// clients and the cluster bus, data in its own temp folder, stopped by its pid; slots of a
// failed master do not stop the others: cluster-require-full-coverage no), joined by
// `redis-cli --cluster create` (one master alone takes every slot) and ready (every node reports
// cluster_state:ok, every replica linked to its master) when the constructor returns. Part of the
// nadb_support library.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "support/redis_server.hpp"
#include "support/tls_files.hpp"

namespace nadb::testing {

class RedisCluster {
 public:
  // Throws std::runtime_error if a node does not start or the cluster is not ready in 30 s.
  // With tls, every node also has a TLS port presenting tls's server certificate (clients
  // learn it from CLUSTER SHARDS), and the cluster bus and replication run over TLS; the
  // client ports stay plain too.
  RedisCluster(int masters, int replicas_per_master, const TlsFiles* tls = nullptr);

  // The nodes, masters first (as redis-cli assigned them at creation).
  const std::vector<std::unique_ptr<RedisServer>>& nodes() const { return nodes_; }
  // Node i's TLS port (0 without tls).
  int tls_port(std::size_t i) const { return tls_ports_.empty() ? 0 : tls_ports_[i]; }
  // Runs `redis-cli -p <port> <args>` (args are split by the shell: pass trusted text only)
  // and returns its standard output; throws std::runtime_error if redis-cli fails.
  static std::string cli(int port, const std::string& args);
  // Waits until every running node reports cluster_state:ok; throws after 30 s.
  void wait_until_ok() const;
  // Waits until every running node flags the node at port as failed (after a stop()); throws
  // after 30 s.
  void wait_until_failed(int port) const;

 private:
  // Waits until `replicas` nodes are replicas linked to their master; throws after 30 s.
  void wait_until_replicas_synced(int replicas) const;

  std::vector<std::unique_ptr<RedisServer>> nodes_;
  std::vector<int> tls_ports_;
};

// A seed node ("127.0.0.1:<port>") of the cluster (3 masters, 1 replica each) the tests of
// a run share: the one `nadb-test-cluster start` left running for ctest (the redis_cluster
// fixture names its state file in NADB_TEST_CLUSTER_STATE), or, for a test binary run by
// hand, one this process starts on first use (call it first from the main thread). Tests
// that stop nodes must start their own RedisCluster.
int shared_cluster_port();

}  // namespace nadb::testing
