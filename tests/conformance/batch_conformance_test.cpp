// Batches: atomic, validated as a whole before anything is written.
#include "conformance/store_fixture.hpp"

namespace nadb::testing {
namespace {

using namespace std::chrono_literals;

class Batches : public StoreTest {};
NADB_CONFORMANCE_SUITE(Batches);

TEST_P(Batches, BatchSetMultiGetBatchRemove) {
  auto s = open();
  s->batch_set(
      {{"a", "1", {"x"}, std::nullopt}, {"b", "2", {}, 100s}, {"c", "3", {}, std::nullopt}});
  EXPECT_EQ(s->multi_get({"a", "missing", "c"}),
            (std::vector<std::optional<std::string>>{"1", std::nullopt, "3"}));
  EXPECT_EQ(s->get_metadata("a")->tags, std::vector<std::string>{"x"});
  EXPECT_TRUE(s->ttl("b"));
  EXPECT_EQ(s->batch_remove({"a", "a", "missing", "b"}), 2u);
  EXPECT_EQ(s->get_all_keys(), std::vector<std::string>{"c"});
}

TEST_P(Batches, OneBadItemRejectsTheWholeBatch) {
  auto s = open();
  EXPECT_THROW(s->batch_set({{"ok", "1", {}, std::nullopt}, {"", "2", {}, std::nullopt}}),
               InvalidArgument);
  EXPECT_THROW(s->batch_set({{"ok", "1", {}, std::nullopt}, {"t", "2", {""}, std::nullopt}}),
               InvalidArgument);
  EXPECT_THROW(s->batch_set({{"ok", "1", {}, std::nullopt}, {"t", "2", {}, 0s}}), InvalidArgument);
  EXPECT_FALSE(s->exists("ok"));
  s->set("k", "v");
  EXPECT_THROW(s->batch_remove({"k", ""}), InvalidArgument);
  EXPECT_TRUE(s->exists("k"));
  EXPECT_THROW(s->multi_get({"k", ""}), InvalidArgument);
}

TEST_P(Batches, LastWriteOfAKeyInABatchWins) {
  auto s = open();
  s->batch_set({{"k", "first", {"a"}, std::nullopt}, {"k", "second", {"b"}, std::nullopt}});
  EXPECT_EQ(s->get("k"), "second");
  EXPECT_EQ(s->get_metadata("k")->tags, std::vector<std::string>{"b"});
}

TEST_P(Batches, EmptyBatchesAreNoOps) {
  auto s = open();
  EXPECT_NO_THROW(s->batch_set({}));
  EXPECT_EQ(s->batch_remove({}), 0u);
  EXPECT_TRUE(s->multi_get({}).empty());
}

}  // namespace
}  // namespace nadb::testing
