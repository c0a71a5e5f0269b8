// Sharded namespaces (RedisOptions::shards) on one server: where the keys go, the recorded
// shard count, and the merged reads (scans, queries, counts) against an unsharded namespace
// holding the same keys. On a cluster, and composed with every other operation, the kit runs
// them as "redis_sharded" and "redis_cluster_sharded" (support/backend_kit.hpp).
#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "nadb/nadb.hpp"
#include "support/raw_redis.hpp"
#include "support/redis_server.hpp"
#include "support/temp_dir.hpp"

namespace nadb::testing {
namespace {

class RedisShards : public ::testing::Test {
 protected:
  Options options(int shards, const std::string& ns = "main") const {
    Options o = redis_store_options(server_, ns);
    o.data_folder = dir_.path();
    o.redis.shards = shards;
    return o;
  }
  std::int64_t zcard(const std::string& key) { return raw_.run({"ZCARD", key})->integer; }

  RedisServer server_;
  RawRedis raw_{server_.port()};
  TempDir dir_;
};

TEST_F(RedisShards, KeysSpreadOverTheShardsAndTaggedKeysShareOne) {
  KeyValueStore s(options(4));
  for (int i = 0; i < 400; ++i)
    s.set("key" + std::to_string(i), "v");
  for (int i = 0; i < 20; ++i)
    s.set("{user7}." + std::to_string(i), "v");
  std::int64_t total = 0;
  int holding_tagged = 0;
  for (int shard = 0; shard < 4; ++shard) {
    std::string prefix = "nadb:{db:main:" + std::to_string(shard) + "}";
    std::int64_t n = zcard(prefix + ":k");
    EXPECT_GT(n, 50) << "shard " << shard << " holds too few of 420 keys";
    total += n;
    if (raw_.run({"ZSCORE", prefix + ":k", "{user7}.0"})->type != REDIS_REPLY_NIL) {
      ++holding_tagged;
      for (int i = 1; i < 20; ++i)
        EXPECT_NE(raw_.run({"ZSCORE", prefix + ":k", "{user7}." + std::to_string(i)})->type,
                  REDIS_REPLY_NIL);
    }
  }
  EXPECT_EQ(total, 420);
  EXPECT_EQ(holding_tagged, 1);
  EXPECT_EQ(zcard("nadb:{db:main}:k"), 0);  // nothing in the unsharded layout
  EXPECT_EQ(s.count(), 420u);
}

TEST_F(RedisShards, ANamespaceWrittenWithOneCountIsRefusedWithAnother) {
  {
    KeyValueStore s(options(4));
    s.set("k", "v");
  }
  for (int other : {1, 2, 8}) {
    KeyValueStore s(options(other));
    try {
      s.get("k");
      ADD_FAILURE() << "a namespace of 4 shards was read with " << other;
    } catch (const InvalidArgument& e) {
      EXPECT_NE(std::string(e.what()).find("shards = 4"), std::string::npos) << e.what();
    }
    EXPECT_THROW(s.set("k2", "v"), InvalidArgument);
  }
  KeyValueStore again(options(4));
  EXPECT_EQ(again.get("k"), "v");
  EXPECT_EQ(again.count(), 1u);
  KeyValueStore fresh(options(2, "other"));  // another namespace records its own count
  fresh.set("k", "v");
  EXPECT_EQ(raw_.run({"GET", "nadb:{db:other}:shards"})->str, std::string("2"));
}

// A namespace wiped by hand (its record too) while a store has it open: the store's next write
// records the count again, so that a store of another count cannot write beside it.
TEST_F(RedisShards, ARecordWipedByHandIsWrittenAgainByTheNextWrite) {
  KeyValueStore s(options(4));
  s.set("k", "v");
  raw_.run({"FLUSHALL"});
  s.set("k", "again");
  KeyValueStore other(options(2));
  EXPECT_THROW(other.set("j", "v"), InvalidArgument);
  EXPECT_EQ(s.get("k"), "again");
}

// Data written before the count was recorded is unsharded: a sharded store must not read an
// empty namespace where it is.
TEST_F(RedisShards, UnshardedDataWithoutARecordIsOneShard) {
  {
    KeyValueStore s(options(1));
    s.set("k", "v");
  }
  raw_.run({"DEL", "nadb:{db:main}:shards"});
  {
    KeyValueStore s(options(4));
    EXPECT_THROW(s.get("k"), InvalidArgument);
    EXPECT_THROW(s.set("k", "v"), InvalidArgument);
  }
  KeyValueStore s(options(1));
  EXPECT_EQ(s.get("k"), "v");
}

// A db may hold namespaces of different counts (an unsharded one for data that changes
// together): backups, restores and syncs reach each with its own count, from either store.
TEST_F(RedisShards, ADbOfNamespacesOfDifferentCountsIsBackedUpAndRestoredWhole) {
  KeyValueStore sharded(options(4, "big")), plain(options(1, "small"));
  for (int i = 0; i < 40; ++i) {
    sharded.set("k" + std::to_string(i), "big" + std::to_string(i), {"t"});
    plain.set("k" + std::to_string(i), "small" + std::to_string(i), {"t"});
  }
  BackupInfo full = sharded.create_backup("full");
  EXPECT_EQ(full.namespaces, (std::vector<std::string>{"big", "small"}));
  plain.create_backup("from-plain");
  for (int i = 0; i < 40; i += 2) {
    sharded.remove("k" + std::to_string(i));
    plain.set("k" + std::to_string(i), "changed");
  }
  sharded.restore_backup("full", true, true);
  for (int i = 0; i < 40; ++i) {
    EXPECT_EQ(sharded.get("k" + std::to_string(i)), "big" + std::to_string(i));
    EXPECT_EQ(plain.get("k" + std::to_string(i)), "small" + std::to_string(i));
  }
  EXPECT_EQ(sharded.query_by_tags({"t"}).size(), 40u);
  EXPECT_EQ(zcard("nadb:{db:small}:k"), 40);  // each in its own layout
  EXPECT_EQ(zcard("nadb:{db:big}:k"), 0);
}

// On one server one script swaps every shard of a restore in, and one clears every shard: a
// shard that cannot be swapped (or cleared) fails the whole step before anything is written,
// so the namespace stays wholly old (on a cluster each shard is a slot and a script of its
// own: the kit's KilledRestoreLeavesOldOrNewDataWhole checks shard by shard there).
TEST_F(RedisShards, OnOneServerARestoreSwapsEveryShardInOneStep) {
  KeyValueStore s(options(4));
  for (int i = 0; i < 200; ++i)
    s.set("k" + std::to_string(i), "old");
  auto backend = StorageFactory::create(options(4));
  StagingArea* staging = backend->facets().staging_area;
  ASSERT_NE(staging, nullptr);
  std::string area = staging->create_staging("main");
  WriteBatch batch;
  for (int i = 0; i < 200; ++i) {
    WriteOp op;
    op.ns = area;
    op.key = "k" + std::to_string(i);
    op.value = "new";
    op.raw_size = 3;
    batch.ops.push_back(std::move(op));
  }
  batch.now_ms = 1;
  ASSERT_TRUE(backend->apply(batch).applied);
  // The last shard's part of the restore loses a value, as a crash of the writer might leave it.
  std::string token = area.substr(area.find("restore-") + 8);
  std::string last = "nadb:{db:main:3}:r:" + token;
  auto first_key = raw_.run({"ZRANGE", last + ":k", "0", "0"});
  ASSERT_EQ(first_key->elements, 1u);
  raw_.run({"DEL", last + ":v:" + std::string(first_key->element[0]->str)});
  EXPECT_ANY_THROW(staging->swap_in_staging("main", area));
  for (int i = 0; i < 200; ++i)
    ASSERT_EQ(s.get("k" + std::to_string(i)), "old") << "k" << i << " was swapped in";
  staging->drop_staging("main", area);

  // A clear stopped by a key of another type in the last shard clears no shard.
  raw_.run({"SET", "nadb:{db:main:3}:tags", "not a hash"});
  EXPECT_ANY_THROW(s.flushdb());
  raw_.run({"DEL", "nadb:{db:main:3}:tags"});
  EXPECT_EQ(zcard("nadb:{db:main:0}:k") + zcard("nadb:{db:main:1}:k") +
                zcard("nadb:{db:main:2}:k") + zcard("nadb:{db:main:3}:k"),
            200);
}

// Sharded data whose record was lost (deleted, evicted) is never read or written with a
// guessed count: Corruption, naming the key to set back.
TEST_F(RedisShards, ShardedDataWithoutItsRecordIsCorruption) {
  {
    KeyValueStore s(options(4));
    s.set("k", "v");
  }
  raw_.run({"DEL", "nadb:{db:main}:shards"});
  for (int count : {1, 4}) {
    KeyValueStore s(options(count));
    try {
      s.set("k2", "v");
      ADD_FAILURE() << "written with a guessed count " << count;
    } catch (const Corruption& e) {
      EXPECT_NE(std::string(e.what()).find("nadb:{db:main}:shards"), std::string::npos) << e.what();
    }
    EXPECT_THROW(s.get("k"), Corruption);
  }
  raw_.run({"SET", "nadb:{db:main}:shards", "4"});
  KeyValueStore s(options(4));
  EXPECT_EQ(s.get("k"), "v");
  EXPECT_FALSE(s.exists("k2"));
}

// A replay into a namespace of many shards applies as it goes: what it holds unwritten stays
// bounded by a few batches, not by the shard count.
TEST_F(RedisShards, AReplayIntoManyShardsHoldsFewOpsUnwritten) {
  std::string file = dir_.sub("export.jsonl");
  {
    KeyValueStore source(options(1, "source"));
    std::vector<BatchItem> items;
    for (int i = 0; i < 12000; ++i)
      items.push_back({"k" + std::to_string(i), "v", {}, std::nullopt});
    source.batch_set(items);
    source.export_jsonl(file);
  }
  KeyValueStore target(options(64, "target")), watcher(options(64, "target"));
  std::size_t checks = 0;
  ImportOptions import;
  import.progress = [&](std::size_t added, std::size_t) { if (added == 0 || added >= 12000) return;
  ++checks;
  EXPECT_GE(watcher.count() + 4000, added) << "more than 4 batches' worth held unwritten";
};
EXPECT_EQ(target.import_jsonl(file, import).imported, 12000u);
EXPECT_GE(checks, 5u);
EXPECT_EQ(watcher.count(), 12000u);
}  // namespace

TEST_F(RedisShards, BadCountsAreRefusedAtOpen) {
  for (int bad : {0, -1, 1025})
    EXPECT_THROW(KeyValueStore{options(bad)}, InvalidArgument) << bad;
  Options o = options(1);
  o.redis.url = "redis://127.0.0.1:" + std::to_string(server_.port()) + "?shards=0";
  EXPECT_THROW(KeyValueStore{o}, InvalidArgument);
}

// Every page of a scan and of a query of a sharded namespace is the page of an unsharded one
// holding the same keys: merged in key order, exact, with totals and cursors that agree.
TEST_F(RedisShards, MergedPagesAreThoseOfOneShard) {
  KeyValueStore sharded(options(4, "s")), plain(options(1, "p"));
  std::mt19937 rng(7);
  for (int i = 0; i < 300; ++i) {
    std::string key = "k" + std::to_string(rng() % 1000);
    std::vector<std::string> tags;
    if (rng() % 2) tags.push_back("even");
    if (rng() % 3 == 0) tags.push_back("third");
    for (KeyValueStore* s : {&sharded, &plain})
      s->set(key, std::to_string(i), SetOptions{tags, std::nullopt});
  }
  for (std::size_t limit : {1u, 7u, 50u, 1000u}) {
    std::string a, b;
    do {
      KeyPage x = sharded.scan("k1", a, limit), y = plain.scan("k1", b, limit);
      ASSERT_EQ(x.keys, y.keys) << "limit " << limit;
      ASSERT_EQ(x.next_cursor, y.next_cursor);
      a = x.next_cursor;
      b = y.next_cursor;
    } while (!a.empty());
  }
  for (const Query& q :
       {Query::tag("even"), Query::parse("tag:even AND NOT tag:third"), Query::key_prefix("k2")}) {
    for (std::size_t size : {1u, 9u, 100u}) {
      for (std::size_t page = 1; page < 200 / size + 3; ++page) {
        QueryResult x = sharded.query(q, page, size), y = plain.query(q, page, size);
        ASSERT_EQ(x.keys, y.keys) << "page " << page << " of " << size;
        ASSERT_EQ(x.total_count, y.total_count);
        ASSERT_EQ(x.has_more, y.has_more);
      }
    }
  }
  EXPECT_EQ(sharded.count(), plain.count());
  EXPECT_EQ(sharded.list_all_tags(), plain.list_all_tags());
}

}  // namespace nadb::testing
}  // namespace nadb::testing
