// Behaviour every backend must show: values, tags, metadata, conditional writes, scans,
// namespaces, validation.
#include <thread>

#include "conformance/store_fixture.hpp"

namespace nadb::testing {
namespace {

using namespace std::chrono_literals;

class Basics : public StoreTest {};
NADB_CONFORMANCE_SUITE(Basics);

TEST_P(Basics, SetGetRemoveExists) {
  auto s = open();
  EXPECT_FALSE(s->get("missing"));
  s->set("k", std::string("bin\0ary", 7));
  EXPECT_EQ(s->get("k"), std::string("bin\0ary", 7));
  EXPECT_TRUE(s->exists("k"));
  EXPECT_TRUE(s->remove("k"));
  EXPECT_FALSE(s->remove("k"));
  EXPECT_FALSE(s->exists("k"));
  s->set("empty", "");
  EXPECT_EQ(s->get("empty"), "");
}

TEST_P(Basics, SetReplacesValueTagsAndTtl) {
  auto s = open();
  s->set("k", "v1", SetOptions{{"b", "a", "b"}, 100s});
  auto m = s->get_metadata("k");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->tags, (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(m->expires_at);
  s->set("k", "v2");
  m = s->get_metadata("k");
  EXPECT_TRUE(m->tags.empty());
  EXPECT_FALSE(m->expires_at);
  EXPECT_FALSE(s->ttl("k"));
}

TEST_P(Basics, TagsAreBytesNotCommaLists) {
  auto s = open();
  s->set("k", "v", {"a,b", "with space", "ünïcode"});
  EXPECT_EQ(s->get_metadata("k")->tags, (std::vector<std::string>{"a,b", "with space", "ünïcode"}));
}

TEST_P(Basics, BinaryKeysAndTagsRoundTrip) {
  auto s = open();
  const std::string nul("a\0b", 3), high("\xff\xff", 2), high_then("\xff\xff\x01", 3),
      braces("{x}:v:k"), low("\x01");
  const std::string tag("t\n,:{} \xff");  // any bytes but NUL
  for (const auto& key : {nul, high, high_then, braces, low})
    s->set(key, "value of " + key, {tag});
  for (const auto& key : {nul, high, high_then, braces, low})
    EXPECT_EQ(s->get(key), "value of " + key);
  EXPECT_EQ(s->get_metadata(nul)->tags, std::vector<std::string>{tag});
  EXPECT_EQ(s->scan("\xff").keys, (std::vector<std::string>{high, high_then}));
  EXPECT_EQ(s->scan(high, high).keys, std::vector<std::string>{high_then});
  EXPECT_EQ(s->query_by_tags({tag}), (std::vector<std::string>{low, nul, braces, high, high_then}));
  EXPECT_EQ(s->query(Query::key_prefix("\xff")).keys, (std::vector<std::string>{high, high_then}));
  EXPECT_EQ(s->multi_get({high, "missing", nul})[2], "value of " + nul);
  EXPECT_TRUE(s->remove(high));
  EXPECT_EQ(s->list_all_tags(), (std::map<std::string, std::size_t>{{tag, 4}}));
}

TEST_P(Basics, OverwriteKeepsCreatedAdvancesUpdatedAndVersion) {
  auto s = open();
  s->set("k", "v1");
  auto first = *s->get_metadata("k");
  std::this_thread::sleep_for(5ms);
  s->set("k", "v2");
  auto second = *s->get_metadata("k");
  EXPECT_EQ(second.created_at, first.created_at);
  EXPECT_GT(second.updated_at, first.updated_at);
  EXPECT_GT(second.version, first.version);
  // Another key of k's shard (its hash tag is "k"): a sharded namespace's versions increase per
  // shard.
  s->set("{k}other", "x");
  EXPECT_GT(s->get_metadata("{k}other")->version, second.version);
}

TEST_P(Basics, MetadataReportsRawAndStoredSizes) {
  Options o = options();
  o.compression_threshold = 100;
  KeyValueStore s(o);
  std::string text(10000, 'a');
  s.set("text", text);
  auto m = s.get_metadata("text");
  EXPECT_EQ(m->size, 10000u);
  EXPECT_TRUE(m->compressed);
  EXPECT_LT(m->stored_size, 1000u);
  EXPECT_EQ(s.get("text"), text);
  auto entry = s.get_with_metadata("text");
  ASSERT_TRUE(entry);
  EXPECT_EQ(entry->value, text);
  EXPECT_EQ(entry->metadata.key, "text");
  s.set("small", "tiny");
  EXPECT_FALSE(s.get_metadata("small")->compressed);
  EXPECT_EQ(s.get_metadata("small")->stored_size, 4u);
}

TEST_P(Basics, ZlibAndNoCompressionWork) {
  for (Compression c : {Compression::Zlib, Compression::None}) {
    Options o = options(c == Compression::Zlib ? "zlib" : "none");
    o.compression = c;
    KeyValueStore s(o);
    std::string text(5000, 'q');
    s.set("k", text);
    EXPECT_EQ(s.get("k"), text);
    EXPECT_EQ(s.get_metadata("k")->compressed, c != Compression::None);
  }
}

TEST_P(Basics, SetIfAbsentAndCompareAndSet) {
  auto s = open();
  EXPECT_TRUE(s->set_if_absent("k", "first"));
  EXPECT_FALSE(s->set_if_absent("k", "second"));
  EXPECT_EQ(s->get("k"), "first");
  std::uint64_t v = s->get_metadata("k")->version;
  EXPECT_FALSE(s->compare_and_set("k", v + 1000, "wrong"));
  EXPECT_TRUE(s->compare_and_set("k", v, "swapped", SetOptions{{"t"}, std::nullopt}));
  EXPECT_EQ(s->get("k"), "swapped");
  EXPECT_EQ(s->get_metadata("k")->tags, std::vector<std::string>{"t"});
  EXPECT_FALSE(s->compare_and_set("missing", 1, "x"));
  EXPECT_FALSE(s->exists("missing"));
}

TEST_P(Basics, IncrementCountsFromZeroAndKeepsTagsAndTtl) {
  auto s = open();
  EXPECT_EQ(s->increment("n"), 1);
  EXPECT_EQ(s->increment("n", 41), 42);
  EXPECT_EQ(s->increment("n", -50), -8);
  EXPECT_EQ(s->get("n"), "-8");
  s->set("c", "10", SetOptions{{"counter"}, 100s});
  EXPECT_EQ(s->increment("c"), 11);
  EXPECT_EQ(s->get_metadata("c")->tags, std::vector<std::string>{"counter"});
  EXPECT_TRUE(s->ttl("c"));
  s->set("text", "abc");
  EXPECT_THROW(s->increment("text"), InvalidArgument);
  EXPECT_EQ(s->get("text"), "abc");
  s->set("max", std::to_string(INT64_MAX));
  EXPECT_THROW(s->increment("max"), InvalidArgument);
}

TEST_P(Basics, ConcurrentIncrementsAreNotLost) {
  auto s = open();
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 250; ++i)
        s->increment("n");
    });
  }
  for (auto& t : threads)
    t.join();
  EXPECT_EQ(s->get("n"), "1000");
}

TEST_P(Basics, ScanIsOrderedPagedAndPrefixed) {
  auto s = open();
  for (const char* k : {"b", "a", "ab", "c", "aa", "abc"})
    s->set(k, "v");
  KeyPage page = s->scan("", "", 2);
  EXPECT_EQ(page.keys, (std::vector<std::string>{"a", "aa"}));
  page = s->scan("", page.next_cursor, 2);
  EXPECT_EQ(page.keys, (std::vector<std::string>{"ab", "abc"}));
  page = s->scan("", page.next_cursor, 2);
  EXPECT_EQ(page.keys, (std::vector<std::string>{"b", "c"}));
  EXPECT_TRUE(page.next_cursor.empty());
  EXPECT_EQ(s->scan("ab").keys, (std::vector<std::string>{"ab", "abc"}));
  EXPECT_EQ(s->get_all_keys(), (std::vector<std::string>{"a", "aa", "ab", "abc", "b", "c"}));
  EXPECT_THROW(s->scan("", "", 0), InvalidArgument);
  EXPECT_THROW(s->scan("", "", 100001), InvalidArgument);
}

TEST_P(Basics, NamespacesAreIsolatedAndFlushdbClearsOnlyOne) {
  auto a = open("a");
  auto b = open("b");
  a->set("k", "in a");
  b->set("k", "in b");
  EXPECT_EQ(a->get("k"), "in a");
  EXPECT_EQ(b->get("k"), "in b");
  a->flushdb();
  EXPECT_FALSE(a->get("k"));
  EXPECT_EQ(b->get("k"), "in b");
  EXPECT_EQ(a->get_stats().key_count, 0u);
  EXPECT_EQ(b->get_stats().key_count, 1u);
  EXPECT_EQ(a->count(), 0u);
  EXPECT_EQ(b->count(), 1u);
}

TEST_P(Basics, InvalidInputThrowsAndChangesNothing) {
  auto s = open();
  s->set("k", "v", {"t"});
  EXPECT_THROW(s->set("", "v"), InvalidArgument);
  EXPECT_THROW(s->set(std::string(65537, 'k'), "v"), InvalidArgument);
  EXPECT_THROW(s->set("k", "other", {""}), InvalidArgument);
  EXPECT_THROW(s->set("k", "other", {std::string(256, 't')}), InvalidArgument);
  EXPECT_THROW(s->set_with_ttl("k", "other", 0s), InvalidArgument);
  EXPECT_THROW(s->set_with_ttl("k", "other", -1s), InvalidArgument);
  EXPECT_THROW(s->get(""), InvalidArgument);
  EXPECT_THROW(s->exists(""), InvalidArgument);
  EXPECT_THROW(s->remove(""), InvalidArgument);
  EXPECT_THROW(s->expire("k", 0s), InvalidArgument);
  EXPECT_EQ(s->get("k"), "v");
  EXPECT_EQ(s->get_metadata("k")->tags, std::vector<std::string>{"t"});
  EXPECT_FALSE(s->ttl("k"));
}

TEST_P(Basics, BadOptionsAreRejected) {
  for (auto mutate : std::vector<std::function<void(Options&)>>{
           [](Options& o) { o.db = "../escape"; }, [](Options& o) { o.ns = ".."; },
           [](Options& o) { o.db = ""; }, [](Options& o) { o.backend = "nope"; },
           [](Options& o) { o.buffer_size_mb = -1; }}) {
    Options o = options();
    mutate(o);
    EXPECT_THROW(KeyValueStore s(o), InvalidArgument);
  }
}

TEST_P(Basics, ReopenKeepsDataExactlyWhenTheBackendIsPersistent) {
  {
    auto s = open();
    s->set("k", "v", SetOptions{{"t"}, 1000s});
  }
  auto s = open();
  if (!persistent()) {  // memory: the data lives while a store of the db is open, no longer
    EXPECT_FALSE(s->get("k"));
    return;
  }
  EXPECT_EQ(s->get("k"), "v");
  EXPECT_EQ(s->get_metadata("k")->tags, std::vector<std::string>{"t"});
  EXPECT_TRUE(s->ttl("k"));
}

TEST_P(Basics, ClosedStoreRefusesOperations) {
  auto s = open();
  s->set("k", "v");
  s->close();
  s->close();  // idempotent
  EXPECT_THROW(s->get("k"), InvalidArgument);
  EXPECT_THROW(s->set("k", "v"), InvalidArgument);
  EXPECT_EQ(s->capabilities().name, backend_name());  // still valid after close
  EXPECT_EQ(s->name(), "db:default");
}

TEST_P(Basics, StatsCountOperations) {
  auto s = open();
  for (int i = 0; i < 10; ++i)
    s->set("k" + std::to_string(i), "v");
  for (int i = 0; i < 7; ++i)
    s->get("k1");
  s->remove("k1");
  EXPECT_THROW(s->get(""), InvalidArgument);
  Stats stats = s->get_stats();
  EXPECT_EQ(stats.operations["set"].count, 10u);
  EXPECT_EQ(stats.operations["get"].count, 8u);
  EXPECT_EQ(stats.operations["get"].errors, 1u);
  EXPECT_EQ(stats.operations["remove"].count, 1u);
  EXPECT_EQ(stats.key_count, 9u);
  EXPECT_EQ(stats.name, "db:default");
  EXPECT_EQ(stats.backend, backend_name());
  EXPECT_EQ(stats.bytes_written_raw, 10u);
  EXPECT_EQ(stats.bytes_read, 7u);
}

}  // namespace
}  // namespace nadb::testing
