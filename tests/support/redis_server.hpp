// RedisServer: a throwaway redis-server for tests and the benchmark, bound to 127.0.0.1 on a
// free port, without persistence, in its own temp folder; stopped by its pid (and killed with
// the process that started it if that dies first). Part of the nadb_support library.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "nadb/options.hpp"
#include "support/temp_dir.hpp"

namespace nadb::testing {

class RedisServer {
 public:
  // extra: more redis-server arguments, e.g. {"--requirepass", "secret"}. Throws
  // std::runtime_error when the server does not start.
  explicit RedisServer(std::vector<std::string> extra = {});
  ~RedisServer() { stop(); }
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  int port() const { return port_; }
  bool running() const { return pid_ > 0; }

  // Starts the server (again, on the same port) and waits until it answers PING.
  void start();
  // Kills the server at once (SIGKILL: like a crash) and reaps it.
  void stop();
  // A loopback port nothing listens on now.
  static int free_port();

 private:
  // True if the server replies to PING (or asks for AUTH, which also means it is up).
  bool answers_ping() const;

  std::vector<std::string> extra_;
  TempDir dir_;
  int port_ = 0;
  pid_t pid_ = -1;
};

// Options of a store of namespace ns in db "db" on server.
Options redis_store_options(const RedisServer& server, const std::string& ns);

// The server shared by the tests of one process, started on first use (call it first from
// the main thread: the server is killed when the thread that started it exits). KEYS is
// disabled on it: the backend must iterate with SCAN.
RedisServer& shared_redis_server();

}  // namespace nadb::testing
