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
