// VerifiedBlocks: the body of a mapped keydir image, checked block by block on first use.
// Nothing read from the mapping is used before the 64 KiB block it lies in matched the
// checksum the image recorded: a damaged image can make a read fail (Corruption), never
// answer wrongly or crash. A background check verifies every block a second after an open.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>
#include <vector>

namespace nadb::engine {

class VerifiedBlocks {
 public:
  static constexpr std::uint64_t kBlockBytes = 64 << 10;

  // body: size bytes (in a mapping kept alive by `mapping`) whose blocks have `checksums`.
  // on_damage runs once, on the first block found damaged, before Corruption is thrown.
  VerifiedBlocks(std::shared_ptr<void> mapping, const char* body, std::uint64_t size,
                 std::vector<std::uint64_t> checksums, std::function<void()> on_damage);

  // Verifies the blocks [p, p + n) touches, if they lie in the body and are not verified
  // yet. Throws Corruption when one differs. Thread-safe.
  void ensure(const void* p, std::size_t n) const {
    auto at = reinterpret_cast<std::uintptr_t>(p) - reinterpret_cast<std::uintptr_t>(body_);
    if (at >= size_ || n == 0) return;
    std::uint64_t last = std::min<std::uint64_t>(at + n, size_) - 1;
    for (std::uint64_t b = at / kBlockBytes; b <= last / kBlockBytes; ++b) {
      if (!verified_[b].load(std::memory_order_acquire)) verify(b);
    }
  }
  // Verifies every block not verified yet, stopping early (true) once stop is set; false
  // (without throwing) when a block is damaged.
  bool verify_all(const std::atomic<bool>& stop) const;
  // The checksum of a block's bytes (what the image records).
  static std::uint64_t block_checksum(std::string_view bytes);

 private:
  void verify(std::uint64_t block) const;  // throws Corruption

  std::shared_ptr<void> mapping_;
  const char* body_;
  std::uint64_t size_;
  std::vector<std::uint64_t> checksums_;
  std::unique_ptr<std::atomic<bool>[]> verified_;
  mutable std::atomic<bool> damaged_{false};
  std::function<void()> on_damage_;
};

}  // namespace nadb::engine
