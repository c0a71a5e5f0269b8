// XXH3-64 checksums of stored bytes.
#pragma once

#include <xxhash.h>

#include <cstdint>
#include <string_view>

namespace nadb::util {

inline std::uint64_t checksum(std::string_view bytes) {
  return XXH3_64bits(bytes.data(), bytes.size());
}

}  // namespace nadb::util
