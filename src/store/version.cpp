#include "nadb/version.hpp"

namespace nadb {

const char* version() noexcept {
  return NADB_VERSION_STRING;  // set by CMakeLists.txt from project(VERSION)
}

}  // namespace nadb
