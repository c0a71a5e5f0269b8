// Logical backups on redis beyond the shared backup suite (tests/unit/backup_test.cpp): every
// kind of change since the parent across namespaces, progress in keys, backup kinds kept apart,
// tombstone retention.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "nadb/nadb.hpp"
#include "support/progress_log.hpp"
#include "support/redis_server.hpp"
#include "support/temp_dir.hpp"

namespace nadb::testing {
namespace {

using namespace std::chrono_literals;
using Dump = std::map<std::string, std::pair<std::string, std::vector<std::string>>>;

class RedisBackup : public ::testing::Test {
 protected:
  Options options(const std::string& ns = "main") const {
    Options o = redis_store_options(server_, ns);
    o.data_folder = dir_.path();
    return o;
  }
  static Dump dump(KeyValueStore& s) {
    Dump d;
    for (const auto& key : s.get_all_keys()) {
      auto e = s.get_with_metadata(key);
      if (e) d[key] = {e->value, e->metadata.tags};
    }
    return d;
  }

  RedisServer server_;
  TempDir dir_;
};

TEST_F(RedisBackup, FullAndIncrementalRestoreEveryChange) {
  KeyValueStore main(options("main"));
  KeyValueStore other(options("other"));
  for (int i = 0; i < 2500; ++i)
    main.set("k" + std::to_string(i), std::string(2000, static_cast<char>('a' + i % 26)), {"t"});
  other.set("gone-later", "v");
  // Incrementals take what changed since a second before their parent (the clock step
  // allowance): let the bulk of the keys age past that.
  std::this_thread::sleep_for(1100ms);
  main.set_with_ttl("expiring", "v", 2s);
  BackupInfo full = main.create_backup("full");
  EXPECT_EQ(full.type, "full");
  EXPECT_EQ(full.namespaces, (std::vector<std::string>{"main", "other"}));

  main.set("k1", "changed", {"new"});
  main.remove("k2");
  main.set("added", "v");
  other.flushdb();
  std::this_thread::sleep_for(2100ms);  // "expiring" is gone now, without a delete
  BackupInfo inc = main.create_incremental_backup("full", "inc");
  EXPECT_EQ(inc.type, "incremental");
  EXPECT_LT(inc.stored_bytes, full.stored_bytes / 10);
  EXPECT_TRUE(main.verify_backup("inc"));
  Dump main_then = dump(main);
  Dump other_then = dump(other);

  main.set("after-backup", "v");
  main.remove("k3");
  other.set("after-backup", "v");
  main.restore_backup("inc", true, true);
  EXPECT_EQ(dump(main), main_then);
  EXPECT_EQ(dump(other), other_then);  // flushed since the parent: empty again
  EXPECT_FALSE(main.exists("expiring"));
  EXPECT_EQ(main.get("k1"), "changed");
  EXPECT_EQ(main.query_by_tags({"new"}), (std::vector<std::string>{"k1"}));

  main.restore_backup("full", true, true);  // the full backup alone: the older state
  EXPECT_EQ(main.get("k2"), std::string(2000, 'c'));
  EXPECT_EQ(other.get("gone-later"), "v");
}

TEST_F(RedisBackup, LogicalBackupAndRestoreReportProgressInKeys) {
  KeyValueStore s(options());
  for (int i = 0; i < 2500; ++i)
    s.set("k" + std::to_string(i), "v");
  ProgressLog backup;
  s.create_backup("b1", true, backup.callback());
  EXPECT_GE(backup.calls().size(), 2u);
  backup.expect_counted_to(2500);
  ProgressLog restore;
  s.restore_backup("b1", true, true, restore.callback());
  restore.expect_counted_to(2500);
}

// Defect 14: fs physical and redis logical backups of a db shared backups/<db>, so the fs
// store listed (and pruned) the redis backup. Each kind has its own folder by default, and a
// folder given to both is refused by the second kind.
TEST_F(RedisBackup, KindsOfBackupDoNotMix) {
  KeyValueStore s(options());
  s.set("a", "1");
  Options fs = options();
  fs.backend = "fs";
  KeyValueStore local(fs);
  local.set("a", "1");
  local.create_backup("physical");
  s.create_backup("logical");
  ASSERT_EQ(local.list_backups().size(), 1u);
  EXPECT_EQ(local.list_backups()[0].id, "physical");
  EXPECT_EQ(local.cleanup_old_backups(0, 0), 1u);
  ASSERT_EQ(s.list_backups().size(), 1u);
  EXPECT_EQ(s.list_backups()[0].id, "logical");
  EXPECT_TRUE(s.verify_backup("logical"));

  Options shared = options();
  shared.backup_dir = dir_.sub("backups/db@redis");
  shared.backend = "fs";
  KeyValueStore mixed(shared);
  EXPECT_THROW(mixed.create_backup("physical2"), InvalidArgument);
  EXPECT_THROW(mixed.list_backups(), InvalidArgument);
  EXPECT_EQ(s.list_backups().size(), 1u);
}

TEST_F(RedisBackup, ParentOlderThanTombstoneRetentionIsRefused) {
  Options o = options();
  o.redis.tombstone_retention = std::chrono::hours(0);
  KeyValueStore s(o);
  s.set("a", "1");
  s.create_backup("old");
  s.remove("a");
  try {
    s.create_incremental_backup("old", "inc");
    ADD_FAILURE() << "an incremental backup that may miss deletes was made";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("tombstone retention"), std::string::npos);
  }
}

}  // namespace
}  // namespace nadb::testing
