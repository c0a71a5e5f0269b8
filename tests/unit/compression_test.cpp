#include "store/compression.hpp"

#include <gtest/gtest.h>

#include "nadb/errors.hpp"

namespace nadb::store {
namespace {

std::string compressible(std::size_t n) {
  std::string s;
  while (s.size() < n)
    s += "the quick brown fox jumps over the lazy dog ";
  return s.substr(0, n);
}

TEST(Compression, BelowThresholdIsNotCompressed) {
  EXPECT_EQ(compress_value(compressible(100), Compression::Zstd, 1024).codec, ValueCodec::None);
}

TEST(Compression, ZstdAndZlibRoundTrip) {
  std::string value = compressible(10000);
  for (Compression c : {Compression::Zstd, Compression::Zlib}) {
    EncodedValue e = compress_value(value, c, 1024);
    ASSERT_NE(e.codec, ValueCodec::None);
    EXPECT_LT(e.bytes.size(), value.size());
    EXPECT_EQ(decompress_value(e.bytes, e.codec, value.size()), value);
  }
}

TEST(Compression, IncompressibleValueIsKeptRaw) {
  std::string random(4096, '\0');
  std::uint32_t x = 12345;
  for (auto& c : random) {
    x = x * 1103515245 + 12345;
    c = static_cast<char>(x >> 24);
  }
  EXPECT_EQ(compress_value(random, Compression::Zstd, 1024).codec, ValueCodec::None);
}

TEST(Compression, ValueThatLooksLikeAFrameIsNotMisread) {
  // Codec lives in the record header, so user bytes that start like a zstd frame are data.
  std::string value(
      "\x28\xb5\x2f\xfd"
      "payload",
      11);
  EXPECT_EQ(decompress_value(value, ValueCodec::None, value.size()), value);
}

TEST(Compression, DamagedFrameIsCorruption) {
  std::string value = compressible(5000);
  EncodedValue e = compress_value(value, Compression::Zstd, 1);
  e.bytes[e.bytes.size() / 2] ^= 0x55;
  EXPECT_THROW(decompress_value(e.bytes, e.codec, value.size()), Corruption);
  EXPECT_THROW(decompress_value("abc", ValueCodec::None, 4), Corruption);
}

}  // namespace
}  // namespace nadb::store
