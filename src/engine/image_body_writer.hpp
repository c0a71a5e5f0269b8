// ImageBodyWriter: writes one region of a keydir image's body front to back, holes allowed,
// and checksums each 64 KiB block as it passes (the checksums VerifiedBlocks checks before
// use), so that an image is never read back to be checksummed.
#pragma once

#include <xxhash.h>

#include <cstdint>
#include <string_view>
#include <vector>

#include "util/files.hpp"

namespace nadb::engine {

// Not thread-safe; one writer per region.
class ImageBodyWriter {
 public:
  // A region starting at body offset `start` (a block boundary) of a body that lies at file
  // offset `base` of out.
  ImageBodyWriter(const util::File& out, std::uint64_t base, std::uint64_t start);
  ~ImageBodyWriter();
  ImageBodyWriter(const ImageBodyWriter&) = delete;
  ImageBodyWriter& operator=(const ImageBodyWriter&) = delete;

  // Writes bytes at body offset `at`, at or after end(): what lies between is a hole (zeros).
  // Throws IOError.
  void write(std::uint64_t at, std::string_view bytes);
  // The body offset just after the last byte written (or the start).
  std::uint64_t end() const { return end_; }
  // Ends the region at `end` (a block boundary, or the body's end), the rest a hole; returns
  // the checksums of its blocks, in order.
  std::vector<std::uint64_t> finish(std::uint64_t end);

 private:
  void hash(std::string_view bytes);
  void hash_zeros(std::uint64_t n);

  const util::File& out_;
  std::uint64_t base_;
  std::uint64_t end_;
  std::uint64_t in_block_ = 0;  // bytes of the current block hashed so far
  XXH3_state_t* state_;
  std::vector<std::uint64_t> checksums_;
};

}  // namespace nadb::engine
