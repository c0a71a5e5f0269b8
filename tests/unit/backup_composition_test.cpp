// Backups crossed with restores, compaction, reopening and other dbs of the data folder: each
// test is a defect of the first release (issue 17) that every feature's own test passed.
#include <gtest/gtest.h>

#include <filesystem>
#include <thread>

#include "nadb/nadb.hpp"
#include "support/temp_dir.hpp"
#include "support/test_options.hpp"

namespace nadb::testing {
namespace {

namespace fs = std::filesystem;

class BackupComposition : public ::testing::Test {
 protected:
  Options options(const std::string& db = "x") {
    Options o = test_options(dir_.path(), db);
    return o;
  }
  static std::vector<std::string> keys(KeyValueStore& s) { return s.get_all_keys(); }
  TempDir dir_;
};

// Defect 1: after a restore, the newest restored segment was appended to and new segments
// reused the names of segments the backups held with other bytes; an incremental backup then
// reused the parent's file of that name and silently dropped writes.
TEST_F(BackupComposition, IncrementalAfterARestoreKeepsEveryWrite) {
  KeyValueStore s(options());
  s.set("a", "1");
  s.create_backup("F");
  s.set("b", "2");
  s.create_incremental_backup("F", "I1");
  s.restore_backup("F", true, true);
  s.set("c", "3");
  s.set("d", "4");
  s.create_incremental_backup("F", "I2");
  ASSERT_TRUE(s.verify_backup("I2"));
  s.restore_backup("I2", true, true);
  EXPECT_EQ(keys(s), (std::vector<std::string>{"a", "c", "d"}));
  s.restore_backup("I1", true, true);
  EXPECT_EQ(keys(s), (std::vector<std::string>{"a", "b"}));
}

// Defect 7, through a restore: versions restarted after the highest version the restored
// files held, so a later write repeated a version a client had already seen.
TEST_F(BackupComposition, VersionsNeverRepeatAfterARestore) {
  KeyValueStore s(options());
  s.set("k", "old");
  s.create_backup("F");
  std::uint64_t seen = 0;
  for (int i = 0; i < 10; ++i) {
    s.set("k", "v" + std::to_string(i));
    seen = s.get_metadata("k")->version;
  }
  s.restore_backup("F", true, true);
  s.set("other", "x");
  EXPECT_GT(s.get_metadata("other")->version, seen);
  EXPECT_FALSE(s.compare_and_set("k", seen, "stale"));
}

// Defect 7: a delete, a full compaction (which drops the delete and the put it shadows) and a
// reopen gave the next write the version of the deleted one: compare-and-set from a client
// that saw the old value succeeded.
TEST_F(BackupComposition, VersionsNeverRepeatAfterDeleteCompactionAndReopen) {
  std::uint64_t seen = 0;
  {
    KeyValueStore s(options());
    s.set("other", "x");
    s.set("j", "X");
    seen = s.get_metadata("j")->version;
    s.remove("j");
    s.compact_storage();
  }
  KeyValueStore s(options());
  s.set("j", "Y");
  EXPECT_GT(s.get_metadata("j")->version, seen);
  EXPECT_FALSE(s.compare_and_set("j", seen, "from a client that saw X"));
  EXPECT_EQ(s.get("j"), "Y");
}

// Defect 2: a restore deleted every <data>/.<db>.restore-* folder as its leftover, although
// that is a valid db name — even one another store had open.
TEST_F(BackupComposition, RestoreNeverTouchesAnotherDbsFolder) {
  KeyValueStore neighbour(options(".x.restore-1"));
  neighbour.set("mine", "kept");
  neighbour.flush();
  KeyValueStore s(options("x"));
  s.set("a", "1");
  s.create_backup("F");
  s.restore_backup("F", true, true);
  s.restore_backup("F", true, false);
  neighbour.close();
  KeyValueStore reopened(options(".x.restore-1"));
  EXPECT_EQ(reopened.get("mine"), "kept");
}

// Defect 3: db "backups" was the backup folder of every db: restoring it replaced every db's
// backups. The name is reserved now.
TEST_F(BackupComposition, TheBackupFolderCannotBeOpenedAsADb) {
  KeyValueStore s(options("x"));
  s.set("a", "1");
  s.create_backup("F");
  try {
    KeyValueStore clash(options("backups"));
    FAIL() << "db 'backups' was opened";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("reserved"), std::string::npos) << e.what();
  }
  EXPECT_EQ(s.list_backups().size(), 1u);
  EXPECT_TRUE(fs::exists(dir_.sub("backups/x/F/manifest.json")));
}

// A backup folder holds one kind of backup: a folder of physical backups given to a store
// whose backend makes logical ones (or the reverse) is refused, never listed or pruned.
TEST_F(BackupComposition, AFolderOfAnotherKindOfBackupIsRefused) {
  KeyValueStore s(options("x"));
  s.set("a", "1");
  s.create_backup("F");
  Options memory = options("x");
  memory.backend = "memory";
  memory.backup_dir = dir_.sub("backups/x");
  KeyValueStore other(memory);
  EXPECT_THROW(other.list_backups(), InvalidArgument);
  EXPECT_THROW(other.cleanup_old_backups(0, 0), InvalidArgument);
  EXPECT_EQ(s.list_backups().size(), 1u);
}

// Found by review: two restores of one db at once in one process (stores of two of its
// namespaces) deleted each other's work folders and lost keys; one still reported success.
TEST_F(BackupComposition, TwoRestoresAtOnceInOneProcessLoseNothing) {
  Options a = options(), b = options();
  a.ns = "a";
  b.ns = "b";
  KeyValueStore first(a), second(b);
  for (int i = 0; i < 3000; ++i)
    first.set("k" + std::to_string(i), "backed up");
  first.create_backup("F");
  for (int round = 0; round < 3; ++round) {
    std::thread one([&] { first.restore_backup("F", true, round % 2 == 0); });
    std::thread two([&] { second.restore_backup("F", true, round % 2 == 0); });
    one.join();
    two.join();
    EXPECT_EQ(first.get_all_keys().size(), 3000u) << "round " << round;
  }
  first.close();
  second.close();
  KeyValueStore reopened(a);
  EXPECT_EQ(reopened.get_all_keys().size(), 3000u);
}

// Found by review: a backup_dir inside the db folder went with the old files a replacing
// restore removed (every backup lost); one equal to it hung create_backup on the db's LOCK.
TEST_F(BackupComposition, ABackupFolderInsideOrAroundTheDbFolderIsRefused) {
  for (const std::string& dir : {dir_.sub("x"), dir_.sub("x/backups"), dir_.sub("x/"), dir_.path(),
                                 dir_.sub("./x/../x/b")}) {
    Options o = options();
    o.backup_dir = dir;
    EXPECT_THROW(KeyValueStore{o}, InvalidArgument) << dir;
  }
  Options apart = options();
  apart.backup_dir = dir_.sub("elsewhere");
  KeyValueStore s(apart);
  s.set("k", "v");
  s.create_backup("F");
  s.restore_backup("F", true, true);
  EXPECT_EQ(s.list_backups().size(), 1u);
}

// Found by review: sync_to compared option strings, so another spelling of the same folder
// synced a namespace onto itself (every key rewritten, every version raised).
TEST_F(BackupComposition, SyncOntoItselfByAnotherPathIsRefused) {
  KeyValueStore s(options());
  s.set("k", "v");
  std::uint64_t version = s.get_metadata("k")->version;
  Options same = options();
  same.data_folder = dir_.path() + "/./";
  KeyValueStore again(same);
  EXPECT_THROW(s.sync_to(again), InvalidArgument);
  EXPECT_EQ(s.get_metadata("k")->version, version);
}

// Found by review: a backup killed while being written left its <id>.tmp folder for good.
TEST_F(BackupComposition, ABackupKilledWhileWrittenLeavesNothingBehind) {
  KeyValueStore s(options());
  s.set("k", "v");
  fs::create_directories(dir_.sub("backups/x/backup-20261205T000000.000000Z-0.tmp"));
  s.create_backup("F");
  EXPECT_FALSE(fs::exists(dir_.sub("backups/x/backup-20261205T000000.000000Z-0.tmp")));
}

}  // namespace
}  // namespace nadb::testing
