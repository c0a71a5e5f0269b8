#include "engine/image_body_writer.hpp"

#include <algorithm>
#include <array>
#include <new>
#include <stdexcept>

#include "engine/verified_blocks.hpp"

namespace nadb::engine {
namespace {

constexpr std::uint64_t kBlockBytes = VerifiedBlocks::kBlockBytes;

const std::array<char, kBlockBytes>& zero_block() {
  static const std::array<char, kBlockBytes> zeros{};
  return zeros;
}

}  // namespace

ImageBodyWriter::ImageBodyWriter(const util::File& out, std::uint64_t base, std::uint64_t start)
    : out_(out), base_(base), end_(start), state_(XXH3_createState()) {
  if (state_ == nullptr) throw std::bad_alloc();
  XXH3_64bits_reset(state_);
}

ImageBodyWriter::~ImageBodyWriter() {
  XXH3_freeState(state_);
}

void ImageBodyWriter::write(std::uint64_t at, std::string_view bytes) {
  if (at < end_) throw std::logic_error("keydir image body written out of order");
  hash_zeros(at - end_);
  if (!bytes.empty()) out_.write_at(base_ + at, bytes);
  hash(bytes);
  end_ = at + bytes.size();
}

std::vector<std::uint64_t> ImageBodyWriter::finish(std::uint64_t end) {
  if (end < end_) throw std::logic_error("keydir image region ends before what was written");
  hash_zeros(end - end_);
  end_ = end;
  if (in_block_ > 0) checksums_.push_back(XXH3_64bits_digest(state_));
  in_block_ = 0;
  return std::move(checksums_);
}

void ImageBodyWriter::hash(std::string_view bytes) {
  while (!bytes.empty()) {
    std::size_t take =
        static_cast<std::size_t>(std::min<std::uint64_t>(bytes.size(), kBlockBytes - in_block_));
    XXH3_64bits_update(state_, bytes.data(), take);
    bytes.remove_prefix(take);
    in_block_ += take;
    if (in_block_ == kBlockBytes) {
      checksums_.push_back(XXH3_64bits_digest(state_));
      XXH3_64bits_reset(state_);
      in_block_ = 0;
    }
  }
}

void ImageBodyWriter::hash_zeros(std::uint64_t n) {
  // A hole (the unused room of an entry chunk) may span many blocks: a whole zero block's
  // checksum is computed once.
  static const std::uint64_t zero_block_checksum =
      VerifiedBlocks::block_checksum({zero_block().data(), kBlockBytes});
  while (n > 0) {
    if (in_block_ == 0 && n >= kBlockBytes) {
      checksums_.push_back(zero_block_checksum);
      n -= kBlockBytes;
      continue;
    }
    std::size_t take =
        static_cast<std::size_t>(std::min<std::uint64_t>(n, kBlockBytes - in_block_));
    hash({zero_block().data(), take});
    n -= take;
  }
}

}  // namespace nadb::engine
