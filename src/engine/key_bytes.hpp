// KeyBytes: a 16-byte key holder for the keydir. Keys of up to 15 bytes live inline (no heap
// allocation), longer ones on the heap; this keeps the per-key memory of the keydir small.
// A third form serves keydir images (keydir_image.hpp): the key lies elsewhere in the same
// mapping, at a distance from the holder itself, so an image is valid wherever it is mapped.
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
  KeyBytes(KeyBytes&& other) noexcept { take(other); }
  KeyBytes& operator=(KeyBytes&& other) noexcept {
    if (this != &other) {
      release();
      take(other);
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
    auto tag = static_cast<unsigned char>(raw_[kTagByte]);
    if (tag <= kInlineCapacity) return {raw_, tag};
    std::int64_t word = 0;
    std::uint32_t size = 0;
    std::memcpy(&word, raw_, sizeof word);
    std::memcpy(&size, raw_ + sizeof word, sizeof size);
    if (tag == kHeapTag) return {reinterpret_cast<const char*>(word), size};
    return {raw_ + word, size};
  }

  static constexpr std::size_t kInlineCapacity = 15;
  // True when the key lives on the heap (it owns kInlineCapacity + 1 or more bytes there).
  bool on_heap() const { return static_cast<unsigned char>(raw_[kTagByte]) == kHeapTag; }
  // The 16 bytes of a holder of a size-byte key (longer than kInlineCapacity) that lies
  // `distance` bytes from where these 16 bytes will lie, in the same mapping.
  static void encode_relative(std::int64_t distance, std::uint32_t size, char out[16]) {
    std::memcpy(out, &distance, sizeof distance);
    std::memcpy(out + sizeof distance, &size, sizeof size);
    std::memset(out + sizeof distance + sizeof size, 0, 3);
    out[kTagByte] = static_cast<char>(kRelativeTag);
  }

 private:
  static constexpr std::size_t kTagByte = 15;
  static constexpr unsigned char kHeapTag = 0xff;
  static constexpr unsigned char kRelativeTag = 0xfe;

  bool is_relative() const { return static_cast<unsigned char>(raw_[kTagByte]) == kRelativeTag; }
  // Moves other's key here: a relative key is re-aimed from this holder's address.
  void take(KeyBytes& other) {
    std::memcpy(raw_, other.raw_, sizeof raw_);
    if (is_relative()) {
      std::int64_t distance = 0;
      std::memcpy(&distance, raw_, sizeof distance);
      distance +=
          reinterpret_cast<std::intptr_t>(other.raw_) - reinterpret_cast<std::intptr_t>(raw_);
      std::memcpy(raw_, &distance, sizeof distance);
    }
    other.clear_inline();
  }
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
