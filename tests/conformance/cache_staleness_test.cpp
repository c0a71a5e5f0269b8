// The query cache is never staler than the last acknowledged write, for every kind of write.
#include <thread>

#include "conformance/store_fixture.hpp"

namespace nadb::testing {
namespace {

using namespace std::chrono_literals;
using Keys = std::vector<std::string>;

class CacheStaleness : public StoreTest {
 protected:
  void SetUp() override {
    Options o = options();
    o.flush_interval = 600s;
    store_ = std::make_unique<KeyValueStore>(o);
    store_->set("a", "1", {"t"});
    store_->set("b", "2", {"t", "u"});
  }
  // Asks twice (the second must come from the cache), applies the write, asks again.
  void expect_fresh_after(const std::function<void(KeyValueStore&)>& write, const Keys& expected) {
    store_->query(Query::tag("t"), 1, 1000);
    ASSERT_TRUE(store_->query(Query::tag("t"), 1, 1000).cache_hit);  // warm
    write(*store_);
    QueryResult after = store_->query(Query::tag("t"), 1, 1000);
    EXPECT_FALSE(after.cache_hit);
    EXPECT_EQ(after.keys, expected);
    EXPECT_EQ(store_->query_by_tags({"t"}), expected);
  }
  std::unique_ptr<KeyValueStore> store_;
};
NADB_CONFORMANCE_SUITE(CacheStaleness);

TEST_P(CacheStaleness, Set) {
  expect_fresh_after([](auto& s) { s.set("c", "3", {"t"}); }, Keys{"a", "b", "c"});
}
TEST_P(CacheStaleness, Retag) {
  expect_fresh_after([](auto& s) { s.set("a", "1", {"other"}); }, Keys{"b"});
}
TEST_P(CacheStaleness, PlainSetClearsTags) {
  expect_fresh_after([](auto& s) { s.set("b", "2"); }, Keys{"a"});
}
TEST_P(CacheStaleness, Remove) {
  expect_fresh_after([](auto& s) { s.remove("a"); }, Keys{"b"});
}
TEST_P(CacheStaleness, BatchSet) {
  expect_fresh_after(
      [](auto& s) {
        s.batch_set({{"c", "3", {"t"}, {}}, {"a", "1", {}, {}}});
      },
      Keys{"b", "c"});
}
TEST_P(CacheStaleness, BatchRemove) {
  expect_fresh_after([](auto& s) { s.batch_remove({"a", "b"}); }, Keys{});
}
TEST_P(CacheStaleness, SetIfAbsent) {
  expect_fresh_after([](auto& s) { s.set_if_absent("c", "3", {{"t"}, {}}); }, Keys{"a", "b", "c"});
}
TEST_P(CacheStaleness, CompareAndSet) {
  expect_fresh_after(
      [](auto& s) {
        s.compare_and_set("a", s.get_metadata("a")->version, "x", {{"u"}, {}});
      },
      Keys{"b"});
}
TEST_P(CacheStaleness, SizeRangeSeesOverwrite) {
  store_->query(Query::range("size", 0, 1));
  store_->set("a", "longer value");
  EXPECT_EQ(store_->query(Query::range("size", 0, 1)).keys, Keys{"b"});
}
TEST_P(CacheStaleness, Flushdb) {
  expect_fresh_after([](auto& s) { s.flushdb(); }, Keys{});
}
TEST_P(CacheStaleness, ExpireAndTimePassing) {
  expect_fresh_after([](auto& s) { s.expire("a", 1s); }, Keys{"a", "b"});
  std::this_thread::sleep_for(1100ms);
  QueryResult after = store_->query(Query::tag("t"), 1, 1000);
  EXPECT_EQ(after.keys, Keys{"b"});
  EXPECT_FALSE(after.cache_hit);
}
TEST_P(CacheStaleness, CleanupExpired) {
  store_->set_with_ttl("c", "3", 1s, {"t"});
  std::this_thread::sleep_for(1100ms);
  expect_fresh_after([](auto& s) { s.cleanup_expired(); }, Keys{"a", "b"});
}
TEST_P(CacheStaleness, WriteThroughAnotherStoreOfTheNamespace) {
  Options o = options();
  KeyValueStore other(o);
  expect_fresh_after([&](auto&) { other.set("d", "4", {"t"}); }, Keys{"a", "b", "d"});
}
TEST_P(CacheStaleness, ClearCachesMakesTheNextQueryAMiss) {
  store_->query(Query::tag("t"));
  EXPECT_TRUE(store_->query(Query::tag("t")).cache_hit);
  store_->clear_caches();
  EXPECT_FALSE(store_->query(Query::tag("t")).cache_hit);
}

}  // namespace
}  // namespace nadb::testing
