#include "engine/tag_sets.hpp"

#include <gtest/gtest.h>

namespace nadb::engine {
namespace {

TEST(TagSets, InternsEqualSetsOnce) {
  TagSets sets;
  std::uint32_t a = sets.acquire({"red", "blue"});
  std::uint32_t b = sets.acquire({"red", "blue"});
  std::uint32_t c = sets.acquire({"red"});
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  EXPECT_EQ(sets.tags(a), (std::vector<std::string_view>{"red", "blue"}));
  EXPECT_EQ(sets.size(), 2u);
}

TEST(TagSets, ForgetsAfterLastReleaseAndReusesIds) {
  TagSets sets;
  std::uint32_t a = sets.acquire({"x"});
  sets.acquire({"x"});
  sets.release(a);
  EXPECT_EQ(sets.size(), 1u);
  sets.release(a);
  EXPECT_EQ(sets.size(), 0u);
  std::uint32_t b = sets.acquire({"y"});
  EXPECT_EQ(b, a);
  EXPECT_EQ(sets.tags(b), std::vector<std::string_view>{"y"});
}

TEST(TagSets, EmptySetIsIdZeroAndNeverForgotten) {
  TagSets sets;
  EXPECT_EQ(sets.acquire({}), TagSets::kEmpty);
  sets.release(TagSets::kEmpty);
  EXPECT_TRUE(sets.tags(TagSets::kEmpty).empty());
}

TEST(TagSets, LengthPrefixKeepsAmbiguousSetsApart) {
  TagSets sets;
  EXPECT_NE(sets.acquire({"ab", "c"}), sets.acquire({"a", "bc"}));
}

}  // namespace
}  // namespace nadb::engine
