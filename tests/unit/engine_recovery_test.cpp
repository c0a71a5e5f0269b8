// Recovery: reopen after clean close, after a torn tail, with damaged bytes, with hints.
#include <fcntl.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <thread>

#include "engine/hint.hpp"
#include "nadb/errors.hpp"
#include "support/damage.hpp"
#include "support/engine_helpers.hpp"
#include "support/temp_dir.hpp"
#include "util/files.hpp"

namespace nadb::testing {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> segment_files(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& name : util::list_directory(dir)) {
    if (engine::parse_segment_file_name(name)) out.push_back(util::join_path(dir, name));
  }
  return out;
}

TEST(EngineRecovery, ReopenRestoresValuesTagsExpiryAndVersions) {
  TempDir dir;
  std::uint64_t version = 0;
  {
    auto e = engine::Engine::open(dir.path(), small_segments());
    apply(*e, {put_op("a", "1", {"t1", "t2"}, 5'000'000)});
    apply(*e, {put_op("b", "2")});
    version = apply(*e, {put_op("a", "1b", {"t3"}, 6'000'000)}).ops[0].version;
    apply(*e, {remove_op("b")});
  }
  auto e = engine::Engine::open(dir.path(), small_segments());
  auto a = e->get("ns", "a", 1'000'000, true);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->value, "1b");
  EXPECT_EQ(a->meta.tags, std::vector<std::string>{"t3"});
  EXPECT_EQ(a->meta.expires_ms, 6'000'000);
  EXPECT_EQ(a->meta.version, version);
  EXPECT_FALSE(value_of(*e, "b"));
  // Versions keep increasing across reopen.
  EXPECT_GT(apply(*e, {put_op("c", "3")}).ops[0].version, version);
}

TEST(EngineRecovery, TornTailIsTruncatedAndEarlierRecordsSurvive) {
  TempDir dir;
  {
    auto e = engine::Engine::open(dir.path(), small_segments());
    apply(*e, {put_op("kept", "value")}, true);
    apply(*e, {put_op("torn", std::string(500, 'x'))}, true);
  }
  std::string seg = segment_files(dir.path()).back();
  std::uint64_t size = fs::file_size(seg);
  for (std::uint64_t cut : {1ull, 100ull, 400ull}) {  // tear the last record at several places
    fs::resize_file(seg, size - cut);
    auto e = engine::Engine::open(dir.path(), small_segments());
    EXPECT_EQ(value_of(*e, "kept"), "value");
    EXPECT_FALSE(value_of(*e, "torn"));
    apply(*e, {put_op("torn", std::string(500, 'x'))}, true);  // appends after the cut
    e.reset();
    size = fs::file_size(seg);
    auto again = engine::Engine::open(dir.path(), small_segments());
    EXPECT_EQ(value_of(*again, "torn"), std::string(500, 'x'));
  }
}

TEST(EngineRecovery, TornBatchIsAllOrNothing) {
  TempDir dir;
  {
    auto e = engine::Engine::open(dir.path(), small_segments());
    apply(*e, {put_op("before", "1")}, true);
    apply(*e, {put_op("b1", "x"), put_op("b2", "y"), remove_op("before")}, true);
  }
  std::string seg = segment_files(dir.path()).back();
  fs::resize_file(seg, fs::file_size(seg) - 3);
  auto e = engine::Engine::open(dir.path(), small_segments());
  EXPECT_EQ(value_of(*e, "before"), "1");
  EXPECT_FALSE(value_of(*e, "b1"));
  EXPECT_FALSE(value_of(*e, "b2"));
}

TEST(EngineRecovery, DamageInsideActiveSegmentIsCorruptionNotTruncation) {
  TempDir dir;
  {
    auto e = engine::Engine::open(dir.path(), small_segments());
    apply(*e, {put_op("first", std::string(100, 'a'))}, true);
    apply(*e, {put_op("second", std::string(100, 'b'))}, true);
  }
  std::string seg = segment_files(dir.path()).back();
  flip_byte(seg, engine::kSegmentHeaderSize + 40);  // inside the first record
  std::uint64_t size = fs::file_size(seg);
  try {
    engine::Engine::open(dir.path(), small_segments());
    FAIL() << "expected Corruption";
  } catch (const Corruption& e) {
    EXPECT_NE(std::string(e.what()).find("offset 16"), std::string::npos) << e.what();
  }
  EXPECT_EQ(fs::file_size(seg), size);  // nothing was truncated
}

TEST(EngineRecovery, FlippedByteInSealedSegmentFailsOnlyThatKey) {
  TempDir dir;
  {
    auto e = engine::Engine::open(dir.path(), small_segments());
    for (int i = 0; i < 2000; ++i)
      apply(*e, {put_op("key" + std::to_string(i), std::string(100, 'v'))});
    e->flush();
  }
  {  // write the hints of sealed segments, as the maintenance thread would
    engine::EngineOptions o = small_segments();
    o.background_maintenance = true;
    auto e = engine::Engine::open(dir.path(), o);
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  }
  auto segments = segment_files(dir.path());
  ASSERT_GT(segments.size(), 2u);
  ASSERT_TRUE(fs::exists(segments[0].substr(0, segments[0].size() - 4) + ".hint"));
  flip_byte(segments[0], engine::kSegmentHeaderSize + 20);      // in key0's record
  auto e = engine::Engine::open(dir.path(), small_segments());  // hints: opens without reading it
  EXPECT_THROW(e->get("ns", "key0", 1'000'000, false), Corruption);
  for (int i = 1; i < 2000; ++i) {
    ASSERT_EQ(value_of(*e, "key" + std::to_string(i)), std::string(100, 'v')) << i;
  }
}

TEST(EngineRecovery, DamagedHintFallsBackToScanningTheSegment) {
  TempDir dir;
  {
    auto e = engine::Engine::open(dir.path(), small_segments());
    for (int i = 0; i < 1500; ++i)
      apply(*e, {put_op("k" + std::to_string(i), std::string(100, 'v'), {"t"})});
  }
  auto segments = segment_files(dir.path());
  ASSERT_GT(segments.size(), 1u);
  {
    engine::SegmentFile seg;
    seg.id = *engine::parse_segment_file_name(fs::path(segments[0]).filename().string());
    seg.file = util::File(segments[0], O_RDONLY);
    engine::write_hint_file(dir.path(), seg, seg.file.size());
  }
  std::string hint = segments[0].substr(0, segments[0].size() - 4) + ".hint";
  flip_byte(hint, fs::file_size(hint) / 2);
  auto e = engine::Engine::open(dir.path(), small_segments());
  for (int i = 0; i < 1500; ++i) {
    auto r = e->get("ns", "k" + std::to_string(i), 1'000'000, true);
    ASSERT_TRUE(r) << i;
    EXPECT_EQ(r->meta.tags, std::vector<std::string>{"t"});
  }
}

TEST(EngineRecovery, UnsupportedFormatVersionIsRefused) {
  TempDir dir;
  { engine::Engine::open(dir.path(), small_segments()); }
  std::string seg = segment_files(dir.path()).back();
  flip_byte(seg, 8);  // the format version
  EXPECT_THROW(engine::Engine::open(dir.path(), small_segments()), Corruption);
}

}  // namespace
}  // namespace nadb::testing
