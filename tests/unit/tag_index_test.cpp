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
