// The conformance fixture: every test runs against every backend. A new backend joins by
// adding its name to kBackends.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "nadb/nadb.hpp"
#include "support/temp_dir.hpp"

namespace nadb::testing {

inline const std::vector<std::string> kBackends = {"fs", "memory"};

class StoreTest : public ::testing::TestWithParam<std::string> {
 protected:
  Options options(const std::string& ns = "default", const std::string& db = "db") const {
    Options o;
    o.data_folder = dir_.path();
    o.db = db;
    o.ns = ns;
    o.backend = GetParam();
    return o;
  }
  std::unique_ptr<KeyValueStore> open(const std::string& ns = "default") const {
    return std::make_unique<KeyValueStore>(options(ns));
  }
  bool persistent() const { return GetParam() != "memory"; }

  TempDir dir_;
};

#define NADB_CONFORMANCE_SUITE(Suite)                                       \
  INSTANTIATE_TEST_SUITE_P(Backends, Suite, ::testing::ValuesIn(kBackends), \
                           [](const auto& param_info) { return param_info.param; })

}  // namespace nadb::testing
