// The store conformance fixture: every test runs against every backend of the kit
// (support/backend_kit.hpp), each opened by its factory.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "nadb/nadb.hpp"
#include "support/backend_kit.hpp"
#include "support/temp_dir.hpp"

namespace nadb::testing {

class StoreTest : public ::testing::TestWithParam<KitBackend> {
 protected:
  Options options(const std::string& ns = "default", const std::string& db = "db") const {
    return GetParam().options(dir_.path(), db, ns);
  }
  std::unique_ptr<KeyValueStore> open(const std::string& ns = "default") const {
    return std::make_unique<KeyValueStore>(options(ns));
  }
  // The backend's registered name ("fs", "memory", "redis"; a cluster is "redis" too).
  std::string backend_name() const { return options().backend; }
  bool persistent() const { return GetParam().open(dir_.path())->capabilities().persistent; }
  // Whether a batch or transaction over keys of different batch groups is refused whole
  // (NotSupported) rather than applied whole: a sharded namespace on a Redis Cluster.
  bool refuses_batches_over_groups() const {
    return testing::refuses_batches_over_groups(options());
  }
  // key, or where batches over groups are refused "{g}key": the keys of a test that writes
  // several in one batch share a group (and a shard) that way.
  std::string grouped(const std::string& key) const {
    return refuses_batches_over_groups() ? "{g}" + key : key;
  }
  // Whether keys of ns are all in one batch group.
  bool one_group(const std::vector<std::string>& keys, const std::string& ns = "default") const {
    auto backend = GetParam().open(dir_.path());
    for (const auto& key : keys) {
      if (backend->batch_group(ns, key) != backend->batch_group(ns, keys.at(0))) return false;
    }
    return true;
  }
  void SetUp() override {
    options();  // a shared server starts here, on the main thread; nothing is created
  }

  TempDir dir_;
};

#define NADB_CONFORMANCE_SUITE(Suite)                                            \
  INSTANTIATE_TEST_SUITE_P(Backends, Suite, ::testing::ValuesIn(kit_backends()), \
                           [](const auto& param_info) { return param_info.param.name; })

}  // namespace nadb::testing
