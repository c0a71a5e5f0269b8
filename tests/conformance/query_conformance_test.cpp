// Tag queries on every backend: operators, pagination, conditions, tag counts, errors.
#include <thread>

#include "conformance/store_fixture.hpp"

namespace nadb::testing {
namespace {

using namespace std::chrono_literals;
using Keys = std::vector<std::string>;

class Queries : public StoreTest {
 protected:
  std::unique_ptr<KeyValueStore> seeded(bool indexing = true) {
    Options o = options();
    o.enable_indexing = indexing;
    auto s = std::make_unique<KeyValueStore>(o);
    s->set("u1", "aaaa", {"red", "big"});
    s->set("u2", "bb", {"red"});
    s->set("u3", "c", {"blue", "big"});
    s->set("u4", "");
    s->set("x1", std::string(500, 'x'), {"blue"});
    return s;
  }
};
NADB_CONFORMANCE_SUITE(Queries);

TEST_P(Queries, TagOperatorsOnBothIndexingModes) {
  for (bool indexing : {true, false}) {
    auto s = seeded(indexing);
    EXPECT_EQ(s->query_by_tags({"red"}), (Keys{"u1", "u2"}));
    EXPECT_EQ(s->query_by_tags({"red", "big"}), (Keys{"u1"}));
    EXPECT_EQ(s->query_by_tags({"nothing"}), Keys{});
    EXPECT_EQ(s->query_by_tags_advanced({"red", "blue"}, TagOperator::Or).keys,
              (Keys{"u1", "u2", "u3", "x1"}));
    EXPECT_EQ(s->query_by_tags_advanced({"red", "blue"}, TagOperator::Not).keys, (Keys{"u4"}));
    EXPECT_EQ(s->query_by_tags_advanced({"big"}, TagOperator::Not).keys, (Keys{"u2", "u4", "x1"}));
    s->close();
    std::filesystem::remove_all(dir_.sub("db"));
  }
}

TEST_P(Queries, QueryTreeWithKeysAndRanges) {
  auto s = seeded();
  EXPECT_EQ(s->query(Query::parse("tag:big AND NOT tag:red")).keys, (Keys{"u3"}));
  EXPECT_EQ(s->query(Query::parse("key:u* AND size:[1,2]")).keys, (Keys{"u2", "u3"}));
  EXPECT_EQ(s->query(Query::parse("key:x1 OR tag:red")).keys, (Keys{"u1", "u2", "x1"}));
  EXPECT_EQ(s->query(Query::key_prefix("u") && !Query::tag("red")).keys, (Keys{"u3", "u4"}));
  EXPECT_EQ(s->query(Query::range("size", 100, 1000)).keys, (Keys{"x1"}));
  s->set_with_ttl("t1", "v", 100s, {"red"});
  auto expires = s->get_metadata("t1")->expires_at->time_since_epoch().count();
  EXPECT_EQ(s->query(Query::range("expires_at", expires, expires)).keys, (Keys{"t1"}));
  EXPECT_EQ(s->query(Query::range("expires_at", 0, INT64_MAX)).keys,
            (Keys{"t1"}));  // no TTL: no match
  auto created = s->get_metadata("u1")->created_at.time_since_epoch().count();
  EXPECT_EQ(s->query(Query::range("created_at", 0, created) && Query::key_equals("u1")).keys,
            (Keys{"u1"}));
}

TEST_P(Queries, PaginationIsExact) {
  auto s = open();
  for (int i = 0; i < 25; ++i)
    s->set("k" + std::string(i < 10 ? "0" : "") + std::to_string(i), "v", {"t"});
  QueryResult p1 = s->query_by_tags_advanced({"t"}, TagOperator::And, 1, 10);
  EXPECT_EQ(p1.keys.size(), 10u);
  EXPECT_EQ(p1.keys.front(), "k00");
  EXPECT_EQ(p1.total_count, 25u);
  EXPECT_TRUE(p1.has_more);
  QueryResult p3 = s->query_by_tags_advanced({"t"}, TagOperator::And, 3, 10);
  EXPECT_EQ(p3.keys, (Keys{"k20", "k21", "k22", "k23", "k24"}));
  EXPECT_FALSE(p3.has_more);
  QueryResult p4 = s->query_by_tags_advanced({"t"}, TagOperator::And, 4, 10);
  EXPECT_TRUE(p4.keys.empty());
  EXPECT_FALSE(p4.has_more);
  EXPECT_EQ(p4.total_count, 25u);
  QueryResult exact = s->query_by_tags_advanced({"t"}, TagOperator::And, 5, 5);
  EXPECT_EQ(exact.keys.size(), 5u);
  EXPECT_FALSE(exact.has_more);
  QueryResult huge_page = s->query_by_tags_advanced({"t"}, TagOperator::And, SIZE_MAX / 2, 100000);
  EXPECT_TRUE(huge_page.keys.empty());
  EXPECT_THROW(s->query_by_tags_advanced({"t"}, TagOperator::And, 0, 10), InvalidArgument);
  EXPECT_THROW(s->query_by_tags_advanced({"t"}, TagOperator::And, 1, 0), InvalidArgument);
  EXPECT_THROW(s->query_by_tags_advanced({"t"}, TagOperator::And, 1, 100001), InvalidArgument);
}

TEST_P(Queries, ThousandsOfTagsOrKeysInOneQuery) {
  auto s = seeded();
  std::vector<std::string> tags, keys;
  for (int i = 0; i < 5000; ++i) {
    tags.push_back("absent" + std::to_string(i));
    keys.push_back("k" + std::to_string(i));
  }
  tags.push_back("blue");
  keys.push_back("u2");
  EXPECT_EQ(s->query_by_tags_advanced(tags, TagOperator::Or).keys, (Keys{"u3", "x1"}));
  EXPECT_EQ(s->query_by_tags_advanced(tags, TagOperator::Not).keys, (Keys{"u1", "u2", "u4"}));
  tags.back() = "red";
  EXPECT_EQ(s->query_by_tags_advanced(tags, TagOperator::And).keys, Keys{});
  EXPECT_EQ(s->complex_query({Condition{"key", "in", keys, {}, {}}}).keys, (Keys{"u2"}));
  Query deep = Query::tag("red");
  EXPECT_THROW(
      {
        for (int i = 0; i < 300; ++i)
          deep = !deep;
      },
      InvalidArgument);
}

TEST_P(Queries, EmptyOrBadTagListsAreRejected) {
  auto s = seeded();
  EXPECT_THROW(s->query_by_tags({}), InvalidArgument);
  EXPECT_THROW(s->query_by_tags_advanced({}, TagOperator::Or), InvalidArgument);
  EXPECT_THROW(s->query_by_tags_advanced({}, TagOperator::Not), InvalidArgument);
  EXPECT_THROW(s->query_by_tags({""}), InvalidArgument);
  EXPECT_THROW(s->query(Query::parse("tag:a AND")), InvalidArgument);
}

TEST_P(Queries, ComplexConditions) {
  auto s = seeded();
  EXPECT_EQ(s->complex_query({{"tags", "and", {"red", "big"}, {}, {}}}).keys, (Keys{"u1"}));
  EXPECT_EQ(s->complex_query({{"tags", "or", {"red"}, {}, {}}, {"size", "range", {}, 2, {}}}).keys,
            (Keys{"u1", "u2"}));
  EXPECT_EQ(s->complex_query({{"tags", "not", {"red", "blue"}, {}, {}}}).keys, (Keys{"u4"}));
  EXPECT_EQ(s->complex_query({{"key", "prefix", {"u"}, {}, {}}, {"size", "eq", {}, 0, {}}}).keys,
            (Keys{"u4"}));
  EXPECT_EQ(s->complex_query({{"key", "in", {"u2", "x1", "zz"}, {}, {}}}).keys, (Keys{"u2", "x1"}));
  EXPECT_EQ(s->complex_query({{"key", "eq", {"u3"}, {}, {}}}).keys, (Keys{"u3"}));
  EXPECT_EQ(s->complex_query({{"updated_at", "range", {}, 0, {}}}).total_count, 5u);
  EXPECT_THROW(s->complex_query({{"colour", "eq", {}, 1, {}}}), InvalidArgument);
  EXPECT_THROW(s->complex_query({{"tags", "xor", {"a"}, {}, {}}}), InvalidArgument);
  EXPECT_THROW(s->complex_query({{"key", "range", {"a"}, {}, {}}}), InvalidArgument);
  EXPECT_THROW(s->complex_query({{"size", "prefix", {}, 1, {}}}), InvalidArgument);
  EXPECT_THROW(s->complex_query({{"size", "range", {}, {}, {}}}), InvalidArgument);
  EXPECT_THROW(s->complex_query({}), InvalidArgument);
}

TEST_P(Queries, ListAllTagsCountsLiveKeysOnly) {
  Options o = options();
  o.flush_interval = 600s;  // no background sweep: expiry alone must hide the key
  KeyValueStore s(o);
  s.set("a", "v", {"x", "y"});
  s.set("b", "v", {"x"});
  s.set_with_ttl("c", "v", 1s, {"x", "z"});
  EXPECT_EQ(s.list_all_tags(), (std::map<std::string, std::size_t>{{"x", 3}, {"y", 1}, {"z", 1}}));
  s.set("a", "v", {"y"});
  s.remove("b");
  std::this_thread::sleep_for(1100ms);
  EXPECT_EQ(s.list_all_tags(), (std::map<std::string, std::size_t>{{"y", 1}}));
}

TEST_P(Queries, ExpiredKeysLeaveResultsAtTheirExpiryInstant) {
  Options o = options();
  o.flush_interval = 600s;
  KeyValueStore s(o);
  s.set_with_ttl("soon", "v", 1s, {"t"});
  s.set("stays", "v", {"t"});
  EXPECT_EQ(s.query_by_tags({"t"}), (Keys{"soon", "stays"}));
  std::this_thread::sleep_for(1100ms);
  EXPECT_EQ(s.query_by_tags({"t"}), (Keys{"stays"}));  // no write since: the cache must not answer
  EXPECT_EQ(s.query_by_tags_advanced({"nope"}, TagOperator::Not).keys, (Keys{"stays"}));
}

TEST_P(Queries, ResultsAreSnapshots) {
  auto s = seeded();
  QueryResult first = s->query_by_tags_advanced({"red"});
  s->remove("u1");
  QueryResult second = s->query_by_tags_advanced({"red"});
  EXPECT_EQ(first.keys, (Keys{"u1", "u2"}));
  EXPECT_EQ(second.keys, (Keys{"u2"}));
}

TEST_P(Queries, IndexSurvivesReopenAndRebuild) {
  {
    auto s = seeded();
    s->rebuild_indexes();
    EXPECT_EQ(s->query_by_tags({"big"}), (Keys{"u1", "u3"}));
    s->optimize_indexes();
    EXPECT_EQ(s->query_by_tags({"big"}), (Keys{"u1", "u3"}));
  }
  auto s = open();
  EXPECT_EQ(s->query_by_tags({"big"}), (persistent() ? Keys{"u1", "u3"} : Keys{}));
  if (!persistent()) return;
  // The reopened index was replayed one tag set at a time: every set, and the untagged key.
  EXPECT_EQ(s->list_all_tags(),
            (std::map<std::string, std::size_t>{{"big", 2}, {"blue", 2}, {"red", 2}}));
  EXPECT_EQ(s->query_by_tags({"red", "big"}), (Keys{"u1"}));
  EXPECT_EQ(s->query_by_tags_advanced({"red"}, TagOperator::Not).keys, (Keys{"u3", "u4", "x1"}));
}

TEST_P(Queries, StatsReportIndexCacheAndQueryKinds) {
  auto s = seeded();
  s->query_by_tags({"red"});
  s->query_by_tags({"red"});
  s->query(Query::parse("tag:big"));
  Stats stats = s->get_stats();
  EXPECT_TRUE(stats.index.enabled);
  EXPECT_EQ(stats.index.tags, 3u);
  if (backend_name() != "redis") {  // redis indexes on the server: no local bytes to count
    EXPECT_GT(stats.index.memory_bytes, 0u);
  }
  EXPECT_EQ(stats.index.cache_hits, 1u);
  EXPECT_EQ(stats.index.cache_misses, 2u);
  EXPECT_EQ(stats.index.popular_tags["red"], 2u);
  EXPECT_EQ(stats.operations["query_by_tags"].count, 2u);
  EXPECT_EQ(stats.operations["query"].count, 1u);
}

}  // namespace
}  // namespace nadb::testing
