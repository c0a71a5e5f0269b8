#include "util/varint.hpp"

#include <gtest/gtest.h>

#include <limits>

namespace nadb::util {
namespace {

TEST(Varint, RoundTripsBoundaryValues) {
  for (std::uint64_t v :
       std::initializer_list<std::uint64_t>{0, 1, 127, 128, 16383, 16384, (1ull << 35) + 7,
                                            std::numeric_limits<std::uint64_t>::max()}) {
    std::string out;
    put_varint(out, v);
    EXPECT_EQ(out.size(), varint_length(v));
    Reader in(out);
    std::uint64_t back = 0;
    ASSERT_TRUE(in.varint(back));
    EXPECT_EQ(back, v);
    EXPECT_TRUE(in.at_end());
  }
}

TEST(Varint, TruncatedInputFailsAndStaysFailed) {
  std::string out;
  put_varint(out, 1ull << 40);
  out.pop_back();
  Reader in(out);
  std::uint64_t v = 0;
  EXPECT_FALSE(in.varint(v));
  EXPECT_FALSE(in.ok());
  std::uint32_t fixed = 0;
  EXPECT_FALSE(in.fixed(fixed));
}

TEST(Varint, OverlongEncodingIsRejected) {
  std::string eleven(11, '\x80');
  Reader in(eleven);
  std::uint64_t v = 0;
  EXPECT_FALSE(in.varint(v));
}

TEST(Fixed, LittleEndianRoundTrip) {
  std::string out;
  put_fixed<std::uint32_t>(out, 0x11223344u);
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(static_cast<unsigned char>(out[0]), 0x44);
  EXPECT_EQ(get_fixed<std::uint32_t>(out.data()), 0x11223344u);
}

TEST(Reader, LengthPrefixedBytes) {
  std::string out;
  put_varint(out, 3);
  out += "abcdef";
  Reader in(out);
  std::string_view bytes;
  ASSERT_TRUE(in.length_prefixed(bytes));
  EXPECT_EQ(bytes, "abc");
  EXPECT_EQ(in.rest(), "def");
}

}  // namespace
}  // namespace nadb::util
