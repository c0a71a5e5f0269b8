// The redis backend across features: keys that look like its own layout, expiry crossed with
// incremental backups, restores larger than one request or failing halfway, imported expiry
// instants no TTL reaches. Each test is a defect of the first release (issue 17).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "backends/redis_backend.hpp"
#include "backup/jsonl.hpp"
#include "nadb/nadb.hpp"
#include "support/raw_redis.hpp"
#include "support/redis_server.hpp"
#include "support/temp_dir.hpp"

namespace nadb::testing {
namespace {

using namespace std::chrono_literals;

class RedisSafety : public ::testing::Test {
 protected:
  Options options(const std::string& ns = "main") const {
    Options o = redis_store_options(server_, ns);
    o.data_folder = dir_.path();
    return o;
  }
  std::string file(const std::string& name) const { return dir_.sub(name); }

  RedisServer server_;
  RawRedis raw_{server_.port()};
  TempDir dir_;
};

// Defect 4: namespaces were discovered by SCAN MATCH "<prefix>:{<db>:*}:gen", which user keys
// and tags ending in "}:gen" match too: phantom namespaces made backups unlistable, and a
// restore ran its scripts on them, turning a user key and a tag set into counters.
TEST_F(RedisSafety, KeysAndTagsLikeTheLayoutMakeNoNamespace) {
  KeyValueStore s(options());
  const std::vector<std::string> hostile = {"a}:gen", "b}:t:x}:gen", "{", "*", "x}:m:y"};
  for (const auto& key : hostile)
    s.set(key, "value of " + key, {"t}:gen", "{x}*"});
  BackupInfo full = s.create_backup("F");
  EXPECT_EQ(full.namespaces, std::vector<std::string>{"main"});
  ASSERT_EQ(s.list_backups().size(), 1u);
  EXPECT_TRUE(s.verify_backup("F"));
  s.set("later", "gone after the restore");
  s.restore_backup("F", true, true);
  for (const auto& key : hostile)
    EXPECT_EQ(s.get(key), "value of " + key) << key;
  EXPECT_EQ(s.query_by_tags({"t}:gen"}).size(), hostile.size());
  EXPECT_FALSE(s.get("later"));
  s.set("a}:gen", "still writable");
  EXPECT_EQ(s.get("a}:gen"), "still writable");
}

// Defect 4: a key not in the layout (here a tag's set made a string by someone else) failed a
// batch after its value was written (half applied) and was reported as "is the server up?".
TEST_F(RedisSafety, AKeyNotInTheLayoutFailsTheWholeWriteAsCorruption) {
  KeyValueStore s(options());
  s.set("seed", "v", {"red"});
  raw_.run({"SET", "nadb:{db:main}:t:red", "not a set"});
  std::vector<BatchItem> batch = {{"a", "1", {"blue"}, std::nullopt},
                                  {"b", "2", {"red"}, std::nullopt}};
  EXPECT_THROW(s.batch_set(batch), Corruption);
  EXPECT_FALSE(s.get("a"));
  EXPECT_FALSE(s.get("b"));
  EXPECT_THROW(s.query_by_tags({"red"}), Corruption);
  EXPECT_TRUE(raw_.keys_matching("nadb:{db:main}:q:*").empty()) << "a query left temporaries";
  EXPECT_EQ(s.query_by_tags({"blue"}).size(), 0u);
  s.set("c", "3", {"blue"});
  EXPECT_EQ(s.query_by_tags({"blue"}), std::vector<std::string>{"c"});
}

// Defect 5: a key removed by an expiry sweep left no tombstone, so an incremental backup did
// not see it go and its restore brought back the parent's value.
TEST_F(RedisSafety, AnExpiredKeyStaysGoneAfterAnIncrementalRestore) {
  KeyValueStore s(options());
  s.set("swept", "old");
  s.set("deleted-after-expiry", "old");
  s.create_backup("F");
  s.set_with_ttl("swept", "new", 1s);
  s.set_with_ttl("deleted-after-expiry", "new", 1s);
  std::this_thread::sleep_for(1100ms);
  s.cleanup_expired();
  s.remove("deleted-after-expiry");  // an expired leftover, if any sweep missed it
  s.create_incremental_backup("F", "I");
  s.restore_backup("I", true, true);
  EXPECT_FALSE(s.get("swept"));
  EXPECT_FALSE(s.get("deleted-after-expiry"));
}

// Defect 5: sweeps decided expiry by the calling client's clock: a client whose clock ran an
// hour ahead deleted keys every other client still saw. The server's clock decides now.
TEST_F(RedisSafety, ASweepByAClientWhoseClockRunsAheadDeletesNothingLive) {
  KeyValueStore s(options());
  s.set_with_ttl("k", "v", 600s);
  auto backend = backends::open_redis_backend(options());
  auto an_hour_ahead = std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::system_clock::now().time_since_epoch() + 1h)
                           .count();
  WriteBatch sweep;
  sweep.ops.resize(1);
  sweep.ops[0].kind = WriteOp::Kind::RemoveExpired;
  sweep.ops[0].ns = "main";
  sweep.now_ms = an_hour_ahead;
  EXPECT_EQ(backend->apply(sweep).ops.at(0).removed, 0u);
  EXPECT_EQ(s.get("k"), "v");
}

// Defect 6: a restore replayed the backup in batches of 1,000 keys whatever their size: a
// batch larger than one request may carry (1 GiB by default; 8 MiB here) failed after the
// namespace had been emptied. Imports and syncs replayed the same way.
TEST_F(RedisSafety, ReplaysLargerThanOneRequestSplitThemselves) {
  Options o = options();
  o.redis.max_request_bytes = 8 << 20;
  KeyValueStore s(o);
  std::string value(400 << 10, '\0');
  std::uint32_t x = 1;
  for (auto& c : value) {  // incompressible
    x = x * 1103515245 + 12345;
    c = static_cast<char>(x >> 24);
  }
  for (int i = 0; i < 40; ++i)
    s.set("k" + std::to_string(i), value + std::to_string(i));
  s.create_backup("F", false);
  s.restore_backup("F", true, true);
  ASSERT_EQ(s.get_all_keys().size(), 40u);
  EXPECT_EQ(s.get("k7"), value + "7");
  s.restore_backup("F", true, false);
  EXPECT_EQ(s.get_all_keys().size(), 40u);
  s.export_jsonl(file("all.jsonl"));
  KeyValueStore other(options("other"));
  EXPECT_EQ(other.import_jsonl(file("all.jsonl")).imported, 40u);
  KeyValueStore third(options("third"));
  EXPECT_EQ(s.sync_to(third).copied, 40u);
  EXPECT_EQ(third.get("k39"), value + "39");
}

// Defect 6: a replacing restore emptied the namespace first; failing later, it left nothing.
// It is built aside and swapped in whole: a failure leaves the old data as it was.
TEST_F(RedisSafety, ARestoreThatFailsHalfwayLeavesTheOldDataWhole) {
  KeyValueStore s(options());
  for (int i = 0; i < 3000; ++i)
    s.set("k" + std::to_string(i), "backed up");
  s.create_backup("F", false);
  for (int i = 0; i < 3000; ++i)
    s.set("k" + std::to_string(i), "current");
  // Damage the backup's only file near its end: found only after 2,000 keys were replayed.
  std::string path = file("backups/db@redis/F/main.jsonl");
  ASSERT_TRUE(std::filesystem::exists(path));
  {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(std::filesystem::file_size(path) - 300));
    f.put('#');
  }
  EXPECT_THROW(s.restore_backup("F", false, true), Corruption);
  EXPECT_EQ(s.get_all_keys().size(), 3000u);
  EXPECT_EQ(s.get("k0"), "current");
  EXPECT_EQ(s.get("k2999"), "current");
  EXPECT_TRUE(raw_.keys_matching("nadb:{db:main}:r:*").empty()) << "the staging area is left";
}

// A merging restore adds the backup's keys and changes nothing else: keys the backup does not
// hold (deleted, or expired, in its chain) stay as they are.
TEST_F(RedisSafety, AMergeRestoreKeepsWhatTheBackupDoesNotHold) {
  KeyValueStore s(options());
  s.set("deleted-in-chain", "old");
  s.set("expired-in-chain", "old");
  s.create_backup("F");
  s.remove("deleted-in-chain");
  s.set_with_ttl("expired-in-chain", "short", 1s);
  s.create_incremental_backup("F", "I");
  std::this_thread::sleep_for(1100ms);
  s.set("deleted-in-chain", "current");
  s.set("expired-in-chain", "current");
  s.restore_backup("I", true, false);
  EXPECT_EQ(s.get("deleted-in-chain"), "current");
  EXPECT_EQ(s.get("expired-in-chain"), "current");
}

// Defect 10: an imported expires_at of 9.2e18 ms (no TTL reaches it) was stored as a score
// Redis prints in exponent form, and every query of the namespace failed from then on.
TEST_F(RedisSafety, AnImportedExpiryNoTtlReachesIsRefused) {
  KeyValueStore s(options());
  s.set("k", "v", {"t"});
  std::string path = file("far.jsonl");
  {
    std::ofstream out(path);
    backup::JsonlEntry far{"far", "value", {"t"}, 9223372036854775000, 1, 1};
    out << backup::jsonl_header("db:main", "redis", 1, 0) << "\n"
        << backup::jsonl_entry("main", far) << "\n"
        << backup::jsonl_end(1) << "\n";
  }
  try {
    s.import_jsonl(path);
    FAIL() << "imported";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("line 2"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(s.get("far"));
  EXPECT_EQ(s.query_by_tags({"t"}), std::vector<std::string>{"k"});
  EXPECT_EQ(s.query(!Query::tag("x")).keys, std::vector<std::string>{"k"});
}

// Found by review: sync_to onto the same namespace under another name of the server.
TEST_F(RedisSafety, SyncOntoItselfUnderAnotherNameOfTheServerIsRefused) {
  KeyValueStore s(options());
  s.set("k", "v");
  Options alias = options();
  alias.redis.host = "localhost";
  KeyValueStore again(alias);
  EXPECT_THROW(s.sync_to(again), InvalidArgument);
  Options other_ns = options("other");
  KeyValueStore elsewhere(other_ns);
  EXPECT_EQ(s.sync_to(elsewhere).copied, 1u);
}

// Defect 9, through the store: an import refuses a line longer than the largest entry this
// backend takes, naming it, before holding it whole.
TEST_F(RedisSafety, AnImportRefusesALineLongerThanAnyEntry) {
  Options o = options();
  o.redis.max_request_bytes = 1 << 20;  // values of at most 704 KiB: lines of at most ~17 MiB
  KeyValueStore s(o);
  std::string path = file("long.jsonl");
  {
    std::ofstream out(path);
    out << backup::jsonl_header("db:main", "redis", 1, 0) << "\n"
        << std::string(40 << 20, 'x') << "\n"
        << backup::jsonl_end(1) << "\n";
  }
  try {
    s.import_jsonl(path);
    FAIL() << "imported";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("line 2 is longer than"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace nadb::testing
