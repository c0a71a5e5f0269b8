// Test support, not a test: the second process of
// RedisBackendTest.WritesOfAnotherProcessInvalidateTheQueryCache (tests/redis/), which
// asserts on what it wrote. It sets one key with one tag and exits 0, or prints the error
// and exits 1 (failing that test).
//   redis_writer PORT KEY_PREFIX NS KEY TAG
#include <cstdio>
#include <string>

#include "nadb/nadb.hpp"

int main(int argc, char** argv) {
  if (argc != 6) {
    std::fprintf(stderr, "usage: redis_writer PORT KEY_PREFIX NS KEY TAG\n");
    return 2;
  }
  try {
    nadb::Options options;
    options.backend = "redis";
    options.redis.port = std::stoi(argv[1]);
    options.redis.key_prefix = argv[2];
    options.db = "db";
    options.ns = argv[3];
    nadb::KeyValueStore store(options);
    store.set(argv[4], "from another process", {argv[5]});
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "redis_writer: %s\n", e.what());
    return 1;
  }
}
