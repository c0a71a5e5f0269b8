#include "index/tag_index.hpp"

#include <gtest/gtest.h>

namespace nadb::index {
namespace {

std::vector<std::string_view> tags(std::initializer_list<std::string_view> list) {
  return list;
}

TEST(TagIndex, RetagMovesTheKeyOutOfOldPostings) {
  TagIndex index;
  auto ab = tags({"a", "b"}), bc = tags({"b", "c"});
  index.on_change(7, nullptr, &ab);
  ASSERT_TRUE(index.postings("a"));
  EXPECT_TRUE(index.postings("a")->contains(7));
  index.on_change(7, &ab, &bc);
  EXPECT_EQ(index.postings("a"), nullptr);  // empty postings are dropped
  EXPECT_TRUE(index.postings("b")->contains(7));
  EXPECT_TRUE(index.postings("c")->contains(7));
  EXPECT_TRUE(index.all().contains(7));
  index.on_change(7, &bc, nullptr);
  EXPECT_EQ(index.tag_count(), 0u);
  EXPECT_FALSE(index.all().contains(7));
}

TEST(TagIndex, EveryChangeAdvancesTheGeneration) {
  TagIndex index;
  auto a = tags({"a"});
  std::uint64_t g0 = index.write_generation();
  index.on_change(1, nullptr, &a);
  std::uint64_t g1 = index.write_generation();
  index.on_change(1, &a, &a);  // same tags: still a write
  EXPECT_GT(g1, g0);
  EXPECT_GT(index.write_generation(), g1);
  index.clear();
  EXPECT_GT(index.write_generation(), g1 + 1);
  EXPECT_TRUE(index.all().isEmpty());
}

// Per-set replay (on_added) builds the same postings as per-key changes, and the default
// IndexSink::on_added forwards each id to on_change.
TEST(TagIndex, AddingKeysBySetEqualsAddingThemOneByOne) {
  auto ab = tags({"a", "b"}), bc = tags({"b", "c"}), none = tags({});
  std::vector<std::uint32_t> ab_ids{1, 4, 9, 70000}, bc_ids{2, 3}, untagged{5};
  TagIndex by_set, by_key;
  by_set.on_added(ab, ab_ids);
  by_set.on_added(bc, bc_ids);
  by_set.on_added(none, untagged);
  for (std::uint32_t id : ab_ids)
    by_key.on_change(id, nullptr, &ab);
  for (std::uint32_t id : bc_ids)
    by_key.on_change(id, nullptr, &bc);
  by_key.on_change(5, nullptr, &none);
  EXPECT_EQ(by_set.tag_count(), 3u);
  for (std::string_view tag : {"a", "b", "c"}) {
    ASSERT_NE(by_set.postings(tag), nullptr) << tag;
    EXPECT_EQ(*by_set.postings(tag), *by_key.postings(tag)) << tag;
  }
  EXPECT_EQ(by_set.postings("b")->cardinality(), 6u);
  EXPECT_EQ(by_set.all(), by_key.all());
  EXPECT_TRUE(by_set.all().contains(5));

  struct Recorder : IndexSink {
    std::vector<std::pair<std::uint32_t, std::size_t>> calls;  // (id, tag count)
    void on_change(std::uint32_t id, const std::vector<std::string_view>* before,
                   const std::vector<std::string_view>* after) override {
      EXPECT_EQ(before, nullptr);
      calls.emplace_back(id, after->size());
    }
    void clear() override {}
  } recorder;
  recorder.on_added(bc, bc_ids);
  EXPECT_EQ(recorder.calls, (std::vector<std::pair<std::uint32_t, std::size_t>>{{2, 2}, {3, 2}}));
}

// An image holds the postings exactly (dense, sparse and run containers alike), loading one
// is a write (cached answers must go), and bytes that are not an image change nothing but
// leave the index cleared, with load_image saying so.
TEST(TagIndex, AnImageLoadsExactlyWhatWasSavedAndNothingElseLoads) {
  TagIndex saved;
  auto ab = tags({"a", "b"}), c = tags({"c"}), none = tags({});
  std::vector<std::uint32_t> dense(100000), sparse{3, 70000, 4000000000u};
  for (std::uint32_t i = 0; i < dense.size(); ++i)
    dense[i] = i * 2 + 10;
  saved.on_added(ab, dense);
  saved.on_added(c, sparse);
  saved.on_added(none, std::vector<std::uint32_t>{7});
  saved.optimize();
  std::string image = saved.save_image();

  TagIndex loaded;
  auto stale = tags({"stale"});
  loaded.on_change(1, nullptr, &stale);
  std::uint64_t generation = loaded.write_generation();
  ASSERT_TRUE(loaded.load_image(image));
  EXPECT_GT(loaded.write_generation(), generation);
  EXPECT_EQ(loaded.postings("stale"), nullptr);
  EXPECT_EQ(loaded.tag_count(), 3u);
  for (std::string_view tag : {"a", "b", "c"})
    EXPECT_EQ(*loaded.postings(tag), *saved.postings(tag)) << tag;
  EXPECT_EQ(loaded.all(), saved.all());
  EXPECT_EQ(loaded.save_image(), image);

  for (std::string bad : {std::string(), image.substr(0, image.size() - 1), image + "x",
                          std::string("\x02\0\0\0", 4) + image.substr(4)}) {
    TagIndex other;
    other.on_change(1, nullptr, &stale);
    EXPECT_FALSE(other.load_image(bad)) << bad.size();
    EXPECT_EQ(other.tag_count(), 0u);
    EXPECT_TRUE(other.all().isEmpty());
  }
  WriteCounter counter;  // an index that keeps no postings has no image to load
  EXPECT_TRUE(counter.save_image().empty());
  EXPECT_FALSE(counter.load_image(image));
}

TEST(TagIndex, MemoryIsMeasuredAndSmallForDenseIds) {
  TagIndex index;
  auto ab = tags({"tag_a", "tag_b"});
  for (std::uint32_t id = 0; id < 100000; ++id)
    index.on_change(id, nullptr, &ab);
  index.optimize();
  EXPECT_GT(index.memory_bytes(), 0u);
  EXPECT_LT(index.memory_bytes(), 200000u * 2);  // under 2 bytes per (key, tag) pair
}

}  // namespace
}  // namespace nadb::index
