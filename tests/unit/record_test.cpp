#include "engine/record.hpp"

#include <gtest/gtest.h>

#include "engine/segment.hpp"

namespace nadb::engine {
namespace {

RecordFields sample_put() {
  RecordFields f;
  f.type = RecordType::Put;
  f.seq = 42;
  f.created_ms = 1'700'000'000'000;
  f.updated_ms = 1'700'000'000'500;
  f.expires_ms = 1'700'000'060'000;
  f.codec = ValueCodec::Zstd;
  f.raw_size = 1000;
  f.ns = "users";
  f.key = std::string_view("k\0ey", 4);
  f.tags = {"a,b", "tag with space"};
  f.value = "compressed-bytes";
  return f;
}

TEST(Record, PutRoundTripsEveryField) {
  std::string bytes;
  RecordFields in = sample_put();
  encode_record(bytes, in);
  RecordFields out;
  ASSERT_TRUE(decode_record(bytes, out));
  EXPECT_EQ(out.type, RecordType::Put);
  EXPECT_EQ(out.seq, 42u);
  EXPECT_EQ(out.created_ms, in.created_ms);
  EXPECT_EQ(out.updated_ms, in.updated_ms);
  EXPECT_EQ(out.expires_ms, in.expires_ms);
  EXPECT_EQ(out.codec, ValueCodec::Zstd);
  EXPECT_EQ(out.raw_size, 1000u);
  EXPECT_EQ(out.ns, "users");
  EXPECT_EQ(out.key, std::string_view("k\0ey", 4));
  ASSERT_EQ(out.tags.size(), 2u);
  EXPECT_EQ(out.tags[0], "a,b");  // commas are bytes like any other
  EXPECT_EQ(out.value, "compressed-bytes");
}

TEST(Record, DeleteRoundTrips) {
  RecordFields in;
  in.type = RecordType::Delete;
  in.seq = 7;
  in.ns = "n";
  in.key = "gone";
  std::string bytes;
  encode_record(bytes, in);
  RecordFields out;
  ASSERT_TRUE(decode_record(bytes, out));
  EXPECT_EQ(out.type, RecordType::Delete);
  EXPECT_EQ(out.key, "gone");
  EXPECT_EQ(out.seq, 7u);
}

TEST(Record, EveryFlippedByteIsDetected) {
  std::string bytes;
  encode_record(bytes, sample_put());
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    std::string damaged = bytes;
    damaged[i] ^= 0x01;
    RecordFields out;
    EXPECT_FALSE(decode_record(damaged, out)) << "flip at byte " << i;
  }
}

TEST(Record, BatchFramesInnerRecordsUnderOneChecksum) {
  std::string bytes;
  std::size_t start = begin_batch(bytes);
  RecordFields a = sample_put();
  encode_record(bytes, a);
  RecordFields d;
  d.type = RecordType::Delete;
  d.ns = "users";
  d.key = "x";
  encode_record(bytes, d);
  end_batch(bytes, start);
  ASSERT_TRUE(checksum_matches(bytes));
  RecordHeader h = parse_header(bytes.data());
  EXPECT_EQ(h.type, RecordType::Batch);
  EXPECT_EQ(h.total_size(), bytes.size());
  int seen = 0;
  ASSERT_TRUE(for_each_batch_record(std::string_view(bytes).substr(kRecordHeaderSize),
                                    kFormatVersion, [&](std::size_t, std::string_view inner) {
                                      RecordFields f;
                                      EXPECT_TRUE(decode_record(inner, f));
                                      ++seen;
                                      return true;
                                    }));
  EXPECT_EQ(seen, 2);
  bytes[bytes.size() - 1] ^= 0x40;
  EXPECT_FALSE(checksum_matches(bytes));
}

TEST(Record, RejectsUnknownFlagsAndTruncatedPayload) {
  std::string bytes;
  encode_record(bytes, sample_put());
  std::string payload = bytes.substr(kRecordHeaderSize);
  RecordFields out;
  std::string bad_flags = payload;
  bad_flags[0] = static_cast<char>(0x80);
  EXPECT_FALSE(decode_payload(RecordType::Put, bad_flags, out));
  EXPECT_FALSE(decode_payload(RecordType::Put, payload.substr(0, 5), out));
}

TEST(SegmentName, ParsesOnlyCanonicalNames) {
  EXPECT_EQ(segment_file_name(42), "00000042.seg");
  EXPECT_EQ(parse_segment_file_name("00000042.seg"), 42u);
  EXPECT_FALSE(parse_segment_file_name("0000042.seg").has_value());
  EXPECT_FALSE(parse_segment_file_name("00000042.hint").has_value());
  EXPECT_FALSE(parse_segment_file_name("0000004a.seg").has_value());
}

}  // namespace
}  // namespace nadb::engine
