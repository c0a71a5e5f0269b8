#include "support/redis_cluster.hpp"

#include <chrono>
#include <cstdio>
#include <stdexcept>
#include <thread>

namespace nadb::testing {

RedisCluster::RedisCluster(int masters, int replicas_per_master) {
  int count = masters * (1 + replicas_per_master);
  std::string create = "--cluster create";
  for (int i = 0; i < count; ++i) {
    // The bus port is chosen too: the default (client port + 10000) may not exist or be free.
    nodes_.push_back(std::make_unique<RedisServer>(std::vector<std::string>{
        "--cluster-enabled", "yes", "--cluster-port", std::to_string(RedisServer::free_port()),
        "--cluster-node-timeout", "2000", "--cluster-config-file", "nodes.conf",
        "--cluster-require-full-coverage", "no"}));
    create += " 127.0.0.1:" + std::to_string(nodes_.back()->port());
  }
  cli(nodes_[0]->port(),
      create + " --cluster-replicas " + std::to_string(replicas_per_master) + " --cluster-yes");
  wait_until_ok();
  wait_until_replicas_synced(masters * replicas_per_master);
}

void RedisCluster::wait_until_replicas_synced(int replicas) const {
  // Found by review: cluster_state:ok comes before the replicas attach, and a master killed
  // then has no replica to promote.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  for (;;) {
    int synced = 0;
    for (const auto& node : nodes_) {
      std::string info = cli(node->port(), "info replication");
      if (info.find("role:slave") != std::string::npos &&
          info.find("master_link_status:up") != std::string::npos)
        ++synced;
    }
    if (synced >= replicas) return;
    if (std::chrono::steady_clock::now() > deadline)
      throw std::runtime_error("the cluster's replicas are not in sync after 30 s");
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

std::string RedisCluster::seed_list() const {
  std::string list;
  for (const auto& node : nodes_)
    list += (list.empty() ? "" : ",") + std::string("127.0.0.1:") + std::to_string(node->port());
  return list;
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
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  for (const auto& node : nodes_) {
    if (!node->running()) continue;
    while (cli(node->port(), "cluster info").find("cluster_state:ok") == std::string::npos) {
      if (std::chrono::steady_clock::now() > deadline)
        throw std::runtime_error("the cluster is not ready after 30 s (node " +
                                 std::to_string(node->port()) + ")");
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
}

void RedisCluster::wait_until_failed(int port) const {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  const std::string address = "127.0.0.1:" + std::to_string(port) + "@";
  for (const auto& node : nodes_) {
    if (!node->running()) continue;
    for (;;) {
      std::string nodes = cli(node->port(), "cluster nodes");
      // "<id> <address> <flags> ...": the flags, comma-separated, include "fail" (not just
      // "fail?", a suspicion).
      std::size_t line = nodes.find(address);
      if (line != std::string::npos) {
        std::size_t flags = nodes.find(' ', line) + 1;
        std::string list = "," + nodes.substr(flags, nodes.find(' ', flags) - flags) + ",";
        if (list.find(",fail,") != std::string::npos) break;
      }
      if (std::chrono::steady_clock::now() > deadline)
        throw std::runtime_error("node " + std::to_string(port) + " not flagged failed in 30 s");
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
}

}  // namespace nadb::testing
