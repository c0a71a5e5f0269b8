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
  void SetUp() override {
    options();  // a shared server starts here, on the main thread; nothing is created
  }

  TempDir dir_;
};

#define NADB_CONFORMANCE_SUITE(Suite)                                            \
  INSTANTIATE_TEST_SUITE_P(Backends, Suite, ::testing::ValuesIn(kit_backends()), \
                           [](const auto& param_info) { return param_info.param.name; })

}  // namespace nadb::testing
