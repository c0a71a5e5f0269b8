// The library's version.
#pragma once

namespace nadb {

// "MAJOR.MINOR.PATCH", the project version in CMakeLists.txt the library was built from.
// Thread-safe; never throws.
const char* version() noexcept;

}  // namespace nadb
