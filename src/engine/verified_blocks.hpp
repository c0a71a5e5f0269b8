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
  // Runs its argument while no writer can change the mapped pages (the owner's lock shared).
  using Guard = std::function<void(const std::function<void()>&)>;
  // The guard for blocks no writer can change (an image not in use yet).
  static void unguarded(const std::function<void()>& fn) { fn(); }
  // Verifies every block not verified yet, each inside `guard` (a writer changes a block's
  // page in place once the block is verified: hashing it meanwhile would see damage that is
  // not there), stopping early (true) once stop is set; false (without throwing) when a
  // block is damaged.
  bool verify_all(const std::atomic<bool>& stop, const Guard& guard) const;
  // The body's bytes (in the mapping): where they are, not to be read unverified.
  const char* body() const { return body_; }
  std::uint64_t size() const { return size_; }
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
