#include "engine/verified_blocks.hpp"

#include <algorithm>

#include "nadb/errors.hpp"
#include "util/checksum.hpp"

namespace nadb::engine {

VerifiedBlocks::VerifiedBlocks(std::shared_ptr<void> mapping, const char* body, std::uint64_t size,
                               std::vector<std::uint64_t> checksums,
                               std::function<void()> on_damage)
    : mapping_(std::move(mapping)),
      body_(body),
      size_(size),
      checksums_(std::move(checksums)),
      verified_(new std::atomic<bool>[checksums_.size()]),
      on_damage_(std::move(on_damage)) {
  for (std::size_t b = 0; b < checksums_.size(); ++b)
    verified_[b].store(false, std::memory_order_relaxed);
}

std::uint64_t VerifiedBlocks::block_checksum(std::string_view bytes) {
  return util::checksum(bytes);
}

void VerifiedBlocks::verify(std::uint64_t block) const {
  std::uint64_t from = block * kBlockBytes;
  std::string_view bytes(body_ + from, std::min(kBlockBytes, size_ - from));
  if (block < checksums_.size() && block_checksum(bytes) == checksums_[block]) {
    verified_[block].store(true, std::memory_order_release);
    return;
  }
  if (!damaged_.exchange(true) && on_damage_) on_damage_();
  throw Corruption("the keydir image fails its checksum at block " + std::to_string(block) +
                   ": it is set aside and the keydir rebuilt from the segments");
}

bool VerifiedBlocks::verify_all(const std::atomic<bool>& stop, const Guard& guard) const {
  try {
    for (std::uint64_t b = 0; b < checksums_.size(); ++b) {
      if (stop.load(std::memory_order_relaxed)) return true;
      guard([&] {
        if (!verified_[b].load(std::memory_order_acquire)) verify(b);
      });
    }
  } catch (const Corruption&) {
    return false;
  }
  return !damaged_.load();
}

}  // namespace nadb::engine
