// test_options: the one option set-up of the tests (a store's data folder, db and namespace).
#pragma once

#include <string>

#include "nadb/options.hpp"

namespace nadb::testing {

// Options of a store of db/ns whose data lives under folder (every other option its default).
inline Options test_options(const std::string& folder, const std::string& db = "default",
                            const std::string& ns = "default") {
  Options o;
  o.data_folder = folder;
  o.db = db;
  o.ns = ns;
  return o;
}

}  // namespace nadb::testing
