// The conformance fixture: every test runs against every backend. A new backend joins by
// adding its name to kBackends.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "nadb/nadb.hpp"
#include "support/redis_server.hpp"
#include "support/temp_dir.hpp"

namespace nadb::testing {

inline const std::vector<std::string> kBackends = {"fs", "memory", "redis"};

class StoreTest : public ::testing::TestWithParam<std::string> {
 protected:
  Options options(const std::string& ns = "default", const std::string& db = "db") const {
    return options_for(GetParam(), ns, db);
  }
  Options options_for(const std::string& backend, const std::string& ns,
                      const std::string& db) const {
    Options o;
    o.data_folder = dir_.path();
    o.db = db;
    o.ns = ns;
    o.backend = backend;
    if (backend == "redis") {  // one server per test process; a key prefix per test
      o.redis.port = shared_redis_server().port();
      o.redis.key_prefix = "t" + dir_.path().substr(dir_.path().rfind('-') + 1);
    }
    return o;
  }
  std::unique_ptr<KeyValueStore> open(const std::string& ns = "default") const {
    return std::make_unique<KeyValueStore>(options(ns));
  }
  bool persistent() const { return GetParam() != "memory"; }
  void SetUp() override {
    if (GetParam() == "redis") shared_redis_server();  // started from the main thread
  }

  TempDir dir_;
};

#define NADB_CONFORMANCE_SUITE(Suite)                                       \
  INSTANTIATE_TEST_SUITE_P(Backends, Suite, ::testing::ValuesIn(kBackends), \
                           [](const auto& param_info) { return param_info.param; })

}  // namespace nadb::testing
