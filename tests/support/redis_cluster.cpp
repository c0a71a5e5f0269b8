#include "support/redis_cluster.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <thread>

namespace nadb::testing {
namespace {

// Polls done every 50 ms until it holds; throws after 30 s, naming what was awaited.
template <class Done>
void wait_for(const std::string& what, Done&& done) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline)
      throw std::runtime_error("waited 30 s in vain for " + what);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

}  // namespace

RedisCluster::RedisCluster(int masters, int replicas_per_master, const TlsFiles* tls) {
  int count = masters * (1 + replicas_per_master);
  std::string create = "--cluster create";
  for (int i = 0; i < count; ++i) {
    // The bus port is chosen too: the default (client port + 10000) may not exist or be free.
    std::vector<std::string> args{"--cluster-enabled",
                                  "yes",
                                  "--cluster-port",
                                  std::to_string(RedisServer::free_port()),
                                  "--cluster-node-timeout",
                                  "2000",
                                  "--cluster-config-file",
                                  "nodes.conf",
                                  "--cluster-require-full-coverage",
                                  "no"};
    if (tls) {
      tls_ports_.push_back(RedisServer::free_port());
      for (std::string& arg : tls->server_args(tls_ports_.back(), tls->server_cert()))
        args.push_back(std::move(arg));
      // Nodes announce their TLS ports (CLUSTER SHARDS) only when their bus is TLS too.
      for (const char* arg : {"--tls-cluster", "yes", "--tls-replication", "yes"})
        args.emplace_back(arg);
    }
    nodes_.push_back(std::make_unique<RedisServer>(std::move(args)));
    create += " 127.0.0.1:" + std::to_string(nodes_.back()->port());
  }
  if (count == 1) {  // redis-cli --cluster create wants 3 masters: one takes every slot itself
    cli(nodes_[0]->port(), "cluster addslotsrange 0 16383");
  } else {
    cli(nodes_[0]->port(),
        create + " --cluster-replicas " + std::to_string(replicas_per_master) + " --cluster-yes");
  }
  wait_until_ok();
  wait_until_replicas_synced(masters * replicas_per_master);
}

void RedisCluster::wait_until_replicas_synced(int replicas) const {
  // Found by review: cluster_state:ok comes before the replicas attach, and a master killed
  // then has no replica to promote.
  wait_for("the cluster's replicas to link to their masters", [&] {
    int synced = 0;
    for (const auto& node : nodes_) {
      std::string info = cli(node->port(), "info replication");
      if (info.find("role:slave") != std::string::npos &&
          info.find("master_link_status:up") != std::string::npos)
        ++synced;
    }
    return synced >= replicas;
  });
}

std::string RedisCluster::cli(int port, const std::string& args) {
  std::string command = "redis-cli -p " + std::to_string(port) + " " + args + " 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) throw std::runtime_error("cannot run redis-cli");
  std::string out;
  char buffer[4096];
  while (std::size_t n = std::fread(buffer, 1, sizeof buffer, pipe))
    out.append(buffer, n);
  if (::pclose(pipe) != 0) throw std::runtime_error("redis-cli " + args + " failed: " + out);
  return out;
}

void RedisCluster::wait_until_ok() const {
  wait_for("every running node to report cluster_state:ok", [&] {
    for (const auto& node : nodes_) {
      if (node->running() &&
          cli(node->port(), "cluster info").find("cluster_state:ok") == std::string::npos)
        return false;
    }
    return true;
  });
}

void RedisCluster::wait_until_failed(int port) const {
  const std::string address = "127.0.0.1:" + std::to_string(port) + "@";
  wait_for("every running node to flag node " + std::to_string(port) + " failed", [&] {
    for (const auto& node : nodes_) {
      if (!node->running()) continue;
      // "<id> <address> <flags> ...": the flags, comma-separated, include "fail" (not just
      // "fail?", a suspicion).
      std::string nodes = cli(node->port(), "cluster nodes");
      std::size_t line = nodes.find(address);
      if (line == std::string::npos) return false;
      std::size_t flags = nodes.find(' ', line) + 1;
      std::string list = "," + nodes.substr(flags, nodes.find(' ', flags) - flags) + ",";
      if (list.find(",fail,") == std::string::npos) return false;
    }
    return true;
  });
}

int shared_cluster_port() {
  static const int port = [] {
    if (const char* state = std::getenv("NADB_TEST_CLUSTER_STATE")) {
      int seed = 0;
      if (!(std::ifstream(state) >> seed) || seed <= 0) {
        throw std::runtime_error(std::string("NADB_TEST_CLUSTER_STATE names ") + state +
                                 ", which holds no port: did the cluster.Start fixture run?");
      }
      return seed;
    }
    static RedisCluster cluster(3, 1);
    return cluster.nodes()[0]->port();
  }();
  return port;
}

}  // namespace nadb::testing
