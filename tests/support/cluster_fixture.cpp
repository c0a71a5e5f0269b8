// nadb-test-cluster: the Redis Cluster (3 masters, 1 replica each) a ctest run shares, as the
// redis_cluster fixture. `start STATE` starts it in a process of its own (its messages in
// STATE.log) and returns once it is ready, with "<seed port> <pid>" in STATE; `stop STATE` ends
// that process, which stops every node by its pid. The process also ends by itself after three
// hours, so that an interrupted run leaves nothing behind for long.
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>

#include "support/redis_cluster.hpp"

namespace {

int stop(const std::string& state);

int start(const std::string& state) {
  stop(state);  // a cluster an interrupted run left behind
  std::remove(state.c_str());
  int ready[2];
  if (::pipe(ready) != 0) return 1;
  pid_t child = ::fork();
  if (child < 0) return 1;
  if (child == 0) {
    ::close(ready[0]);
    ::setsid();
    // Off the caller's output: ctest waits until every holder of its pipes has closed them.
    int log = ::open((state + ".log").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int null = ::open("/dev/null", O_RDONLY);
    if (log < 0 || null < 0) return 1;
    ::dup2(null, 0);
    ::dup2(log, 1);
    ::dup2(log, 2);
    ::close(null);
    ::close(log);
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    ::sigprocmask(SIG_BLOCK, &stop, nullptr);
    try {
      nadb::testing::RedisCluster cluster(3, 1);
      std::ofstream(state + ".tmp") << cluster.nodes()[0]->port() << ' ' << ::getpid() << '\n';
      std::rename((state + ".tmp").c_str(), state.c_str());
      char ok = 1;
      if (::write(ready[1], &ok, 1) != 1) return 1;
      ::close(ready[1]);
      timespec limit{3 * 3600, 0};
      sigtimedwait(&stop, nullptr, &limit);
    } catch (const std::exception& e) {
      std::cerr << "nadb-test-cluster: " << e.what() << '\n';
      return 1;
    }
    return 0;  // the cluster's nodes are stopped by its destructor
  }
  ::close(ready[1]);
  char ok = 0;
  bool started = ::read(ready[0], &ok, 1) == 1 && ok == 1;
  if (!started) std::cerr << "nadb-test-cluster: the cluster did not start\n";
  return started ? 0 : 1;
}

int stop(const std::string& state) {
  int port = 0;
  pid_t pid = 0;
  if (!(std::ifstream(state) >> port >> pid) || pid <= 0) {
    std::cerr << "nadb-test-cluster: " << state << " names no running cluster\n";
    return 1;
  }
  std::string command;  // only a cluster process of ours: the pid may have been reused
  std::getline(std::ifstream("/proc/" + std::to_string(pid) + "/cmdline"), command, '\0');
  if (command.find("nadb-test-cluster") == std::string::npos) {
    std::remove(state.c_str());
    return 0;
  }
  ::kill(pid, SIGTERM);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (::kill(pid, 0) == 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  std::remove(state.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string command = argc == 3 ? argv[1] : "";
  if (command == "start") return start(argv[2]);
  if (command == "stop") return stop(argv[2]);
  std::cerr << "usage: nadb-test-cluster start|stop STATE_FILE\n";
  return 2;
}
