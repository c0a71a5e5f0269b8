// Damaging files on purpose, for corruption tests.
#pragma once

#include <fcntl.h>

#include <cstdint>
#include <string>

#include "util/files.hpp"

namespace nadb::testing {

// Flips one bit of the byte at offset.
inline void flip_byte(const std::string& path, std::uint64_t offset) {
  util::File f(path, O_RDWR);
  std::string byte;
  f.read_at(offset, 1, byte);
  byte[0] ^= 0x20;
  f.write_at(offset, byte);
}

}  // namespace nadb::testing
