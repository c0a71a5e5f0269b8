// KeyBytes: a 16-byte key holder for the keydir. Keys of up to 15 bytes live inline (no heap
// allocation), longer ones on the heap; this keeps the per-key memory of the keydir small.
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

namespace nadb::engine {

class KeyBytes {
 public:
  KeyBytes() { clear_inline(); }
  explicit KeyBytes(std::string_view key) { assign(key); }
  ~KeyBytes() { release(); }
  KeyBytes(KeyBytes&& other) noexcept {
    std::memcpy(raw_, other.raw_, sizeof raw_);
    other.clear_inline();
  }
  KeyBytes& operator=(KeyBytes&& other) noexcept {
    if (this != &other) {
      release();
      std::memcpy(raw_, other.raw_, sizeof raw_);
      other.clear_inline();
    }
    return *this;
  }
  KeyBytes(const KeyBytes&) = delete;
  KeyBytes& operator=(const KeyBytes&) = delete;

  void assign(std::string_view key) {
    release();
    if (key.size() <= kInlineCapacity) {
      // An empty view may carry a null pointer, which memcpy must not get (even for 0 bytes).
      if (!key.empty()) std::memcpy(raw_, key.data(), key.size());
      raw_[kTagByte] = static_cast<char>(key.size());
    } else {
      char* heap = new char[key.size()];
      std::memcpy(heap, key.data(), key.size());
      auto size = static_cast<std::uint32_t>(key.size());
      std::memcpy(raw_, &heap, sizeof heap);
      std::memcpy(raw_ + sizeof heap, &size, sizeof size);
      raw_[kTagByte] = static_cast<char>(kHeapTag);
    }
  }

  std::string_view view() const {
    if (!on_heap()) return {raw_, static_cast<std::size_t>(raw_[kTagByte])};
    char* heap = nullptr;
    std::uint32_t size = 0;
    std::memcpy(&heap, raw_, sizeof heap);
    std::memcpy(&size, raw_ + sizeof heap, sizeof size);
    return {heap, size};
  }

 private:
  static constexpr std::size_t kInlineCapacity = 15;
  static constexpr std::size_t kTagByte = 15;
  static constexpr unsigned char kHeapTag = 0xff;

  bool on_heap() const { return static_cast<unsigned char>(raw_[kTagByte]) == kHeapTag; }
  void clear_inline() { raw_[kTagByte] = 0; }
  void release() {
    if (on_heap()) {
      char* heap = nullptr;
      std::memcpy(&heap, raw_, sizeof heap);
      delete[] heap;
      clear_inline();
    }
  }

  char raw_[16] = {};
};

static_assert(sizeof(KeyBytes) == 16);

}  // namespace nadb::engine
