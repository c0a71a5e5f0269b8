// LEB128 varints and fixed-width little-endian integers for the on-disk formats.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace nadb::util {

inline void put_varint(std::string& out, std::uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

inline std::size_t varint_length(std::uint64_t v) {
  std::size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

template <typename T>
inline void put_fixed(std::string& out, T v) {
  char bytes[sizeof(T)];
  for (std::size_t i = 0; i < sizeof(T); ++i)
    bytes[i] = static_cast<char>((v >> (8 * i)) & 0xff);
  out.append(bytes, sizeof(T));
}

template <typename T>
inline T get_fixed(const char* p) {
  T v = 0;
  for (std::size_t i = 0; i < sizeof(T); ++i)
    v |= static_cast<T>(static_cast<unsigned char>(p[i])) << (8 * i);
  return v;
}

// Sequential decoder over a byte range. Every getter returns false (and stays failed) when
// the input is short or malformed, so callers check once at the end.
class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}

  bool varint(std::uint64_t& v) {
    v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= data_.size()) return fail();
      auto byte = static_cast<unsigned char>(data_[pos_++]);
      v |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) return true;
    }
    return fail();
  }
  template <typename T>
  bool fixed(T& v) {
    if (data_.size() - pos_ < sizeof(T) || !ok_) return fail();
    v = get_fixed<T>(data_.data() + pos_);
    pos_ += sizeof(T);
    return true;
  }
  bool bytes(std::size_t n, std::string_view& out) {
    if (!ok_ || data_.size() - pos_ < n) return fail();
    out = data_.substr(pos_, n);
    pos_ += n;
    return true;
  }
  // A varint length followed by that many bytes.
  bool length_prefixed(std::string_view& out) {
    std::uint64_t n = 0;
    return varint(n) && bytes(n, out);
  }
  std::string_view rest() const { return data_.substr(pos_); }
  std::size_t position() const { return pos_; }
  bool ok() const { return ok_; }
  bool at_end() const { return pos_ == data_.size(); }

 private:
  bool fail() {
    ok_ = false;
    pos_ = data_.size();
    return false;
  }
  std::string_view data_;
  std::size_t pos_ = 0;
  bool ok_ = true;
};

}  // namespace nadb::util
