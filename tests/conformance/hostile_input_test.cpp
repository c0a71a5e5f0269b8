// Hostile input, on every backend: each case gets its defined behaviour (DESIGN.md, edge
// rules) — a binary-safe round trip, or InvalidArgument that changes nothing.
#include <chrono>
#include <filesystem>
#include <limits>
#include <string>

#include "store_fixture.hpp"

namespace nadb::testing {
namespace {

using namespace std::chrono_literals;

class HostileInput : public StoreTest {};
NADB_CONFORMANCE_SUITE(HostileInput);

// Keys are any bytes up to 64 KiB: NUL, invalid UTF-8, newlines and the largest allowed key
// round-trip through set, get, exists, scan, queries, remove and a reopen.
TEST_P(HostileInput, BinaryKeysRoundTrip) {
  const std::vector<std::string> keys = {
      std::string("a\0b", 3), "\xff\xfe\x80", "line\nbreak", std::string(65536, 'k'), " ",
      "\"quoted\",comma"};
  {
    auto store = open();
    for (const auto& key : keys)
      store->set(key, "value of " + key, {"hostile"});
    for (const auto& key : keys) {
      EXPECT_EQ(store->get(key), "value of " + key);
      EXPECT_TRUE(store->exists(key));
    }
    auto found = store->query_by_tags({"hostile"});
    EXPECT_EQ(found.size(), keys.size());
    EXPECT_EQ(store->get_all_keys().size(), keys.size());
  }
  auto store = open();
  if (persistent()) {
    for (const auto& key : keys)
      EXPECT_EQ(store->get(key), "value of " + key);
  }
  EXPECT_EQ(store->remove(std::string("a\0b", 3)), persistent());
  EXPECT_FALSE(store->exists(std::string("a\0b", 3)));
  EXPECT_FALSE(store->exists("a"));  // the NUL is part of the key, not its end
}

TEST_P(HostileInput, OversizedAndEmptyKeysAreRefused) {
  auto store = open();
  EXPECT_THROW(store->set(std::string(65537, 'k'), "v"), InvalidArgument);
  EXPECT_THROW(store->set("", "v"), InvalidArgument);
  EXPECT_THROW(store->get(std::string(65537, 'k')), InvalidArgument);
  EXPECT_THROW(store->remove(""), InvalidArgument);
  EXPECT_THROW(store->batch_set({{"ok", "v", {}, std::nullopt}, {"", "v", {}, std::nullopt}}),
               InvalidArgument);
  EXPECT_FALSE(store->exists("ok")) << "a refused batch wrote part of itself";
}

TEST_P(HostileInput, BadNamesAreRefusedBeforeAnythingIsCreated) {
  const std::vector<std::string> names = {
      "a/b", "..", ".", "", "../escape", std::string(129, 'n'), std::string("nul\0", 4), "sp ace"};
  for (const auto& name : names) {
    EXPECT_THROW(KeyValueStore(options(name, "db")), InvalidArgument) << name;
    EXPECT_THROW(KeyValueStore(options("default", name)), InvalidArgument) << name;
  }
  EXPECT_TRUE(std::filesystem::is_empty(dir_.path())) << "a refused name created files";
}

// Tags are bytes too (but not NUL, not empty, at most 255): commas, quotes and newlines are
// ordinary characters, in queries and in the query language's quoted form.
TEST_P(HostileInput, TagsWithPunctuationAreOrdinary) {
  auto store = open();
  const std::vector<std::string> tags = {"a,b", "say \"hi\"", "two\nlines", "x y"};
  store->set("k", "v", tags);
  for (const auto& tag : tags)
    EXPECT_EQ(store->query_by_tags({tag}), std::vector<std::string>{"k"}) << tag;
  EXPECT_TRUE(store->query_by_tags({"a"}).empty());
  EXPECT_EQ(store->query(Query::parse("tag:\"a,b\" AND tag:\"x y\"")).keys,
            std::vector<std::string>{"k"});
  EXPECT_THROW(store->set("k", "v", {std::string("nul\0", 4)}), InvalidArgument);
  EXPECT_THROW(store->set("k", "v", {""}), InvalidArgument);
  EXPECT_THROW(store->set("k", "v", {std::string(256, 't')}), InvalidArgument);
  EXPECT_EQ(store->get_with_metadata("k")->metadata.tags.size(), tags.size())
      << "a refused set changed the key";
}

TEST_P(HostileInput, PageSizesOutsideTheirRangeAreRefused) {
  auto store = open();
  store->set("k", "v", {"t"});
  EXPECT_THROW(store->query_by_tags_advanced({"t"}, TagOperator::And, 1, 0), InvalidArgument);
  EXPECT_THROW(store->query_by_tags_advanced({"t"}, TagOperator::And, 1, 100001), InvalidArgument);
  EXPECT_THROW(store->query_by_tags_advanced({"t"}, TagOperator::And, 0, 10), InvalidArgument);
  EXPECT_THROW(store->scan("", "", 0), InvalidArgument);
  EXPECT_THROW(store->scan("", "", std::numeric_limits<std::size_t>::max()), InvalidArgument);
  auto far = store->query_by_tags_advanced({"t"}, TagOperator::And, 1000000, 100000);
  EXPECT_TRUE(far.keys.empty());  // a page past the end is empty, not an error
  EXPECT_FALSE(far.has_more);
}

TEST_P(HostileInput, TtlsOutsideTheirRangeAreRefused) {
  auto store = open();
  store->set("k", "v");
  for (auto ttl : {0s, -1s, std::chrono::seconds(std::numeric_limits<std::int64_t>::min()),
                   std::chrono::seconds(std::numeric_limits<std::int64_t>::max())}) {
    EXPECT_THROW(store->set_with_ttl("k", "w", ttl), InvalidArgument) << ttl.count();
    EXPECT_THROW(store->expire("k", ttl), InvalidArgument) << ttl.count();
  }
  EXPECT_EQ(store->get("k"), "v");
  EXPECT_EQ(store->ttl("k"), std::nullopt) << "a refused TTL was applied";
}

}  // namespace
}  // namespace nadb::testing
