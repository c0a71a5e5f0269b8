// Backups on every backend of the kit that declares them (fs: physical, redis: logical):
// point-in-time full and incremental backups, exact restores, verification of every byte,
// retention, hostile ids, interrupted restores. Then what only physical backups do.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "nadb/nadb.hpp"
#include "support/backend_kit.hpp"
#include "support/damage.hpp"
#include "support/progress_log.hpp"
#include "support/temp_dir.hpp"
#include "util/files.hpp"

namespace nadb::testing {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;
using Dump = std::map<std::string, std::tuple<std::string, std::vector<std::string>, bool>>;

// The backends of the kit that back up: with files, or with a change log and a staging area.
std::vector<KitBackend> backends_with_backups() {
  std::vector<KitBackend> out;
  for (const KitBackend& backend : kit_backends()) {
    TempDir dir;
    BackendFacets facets = backend.open(dir.path())->facets();
    if (facets.physical_files || (facets.change_log && facets.staging_area)) out.push_back(backend);
  }
  return out;
}

class BackupTest {
 protected:
  virtual ~BackupTest() = default;
  virtual Options base_options(const std::string& db) const = 0;
  Options options(const std::string& db = "db") const {
    Options o = base_options(db);
    o.max_segment_size_mb = 0.0625;  // many segments, so incrementals have something to skip
    o.backup_dir = dir_.sub("backups/" + db);
    return o;
  }
  static Dump dump(KeyValueStore& s) {
    Dump out;
    for (const auto& key : s.get_all_keys()) {
      auto e = s.get_with_metadata(key);
      out[key] = {e->value, e->metadata.tags, e->metadata.expires_at.has_value()};
    }
    return out;
  }
  std::vector<std::string> backup_files() {
    std::vector<std::string> files;
    for (const auto& entry : fs::recursive_directory_iterator(dir_.sub("backups"))) {
      if (entry.is_regular_file() && entry.path().filename() != "LOCK")
        files.push_back(entry.path().string());
    }
    return files;
  }
  TempDir dir_;
};

class Backups : public BackupTest, public ::testing::TestWithParam<KitBackend> {
 protected:
  Options base_options(const std::string& db) const override {
    return GetParam().options(dir_.path(), db, "default");
  }
};
INSTANTIATE_TEST_SUITE_P(Backends, Backups, ::testing::ValuesIn(backends_with_backups()),
                         [](const auto& param_info) { return param_info.param.name; });

// What only physical backups (the fs backend's files) do.
class PhysicalBackups : public BackupTest, public ::testing::Test {
 protected:
  Options base_options(const std::string& db) const override {
    return test_options(dir_.path(), db);
  }
};

TEST_P(Backups, FullBackupRestoresThePointInTimeExactly) {
  KeyValueStore s(options());
  for (int i = 0; i < 500; ++i)
    s.set("k" + std::to_string(i), std::string(200, 'a' + i % 26), {"t" + std::to_string(i % 3)});
  s.set_with_ttl("ttl", "v", 3600s, {"t0"});
  Dump at_backup = dump(s);
  BackupInfo info = s.create_backup("first");
  EXPECT_EQ(info.type, "full");
  EXPECT_EQ(info.key_count, 501u);
  EXPECT_GE(info.file_count, 1u);
  s.set("k1", "changed", {"new"});
  s.remove("k2");
  s.set("after", "x");
  EXPECT_EQ(s.query_by_tags({"new"}), std::vector<std::string>{"k1"});  // cached before restore
  s.restore_backup("first", true, true);
  EXPECT_EQ(dump(s), at_backup);
  EXPECT_TRUE(s.query_by_tags({"new"}).empty());  // index rebuilt, cache cleared
  EXPECT_EQ(s.query_by_tags({"t1"}).size(), 167u);
  s.set("works", "after restore");
  KeyValueStore* reopened = nullptr;
  {
    Dump expected = dump(s);
    s.close();
    reopened = new KeyValueStore(options());
    EXPECT_EQ(dump(*reopened), expected);
    delete reopened;
  }
}

TEST_P(Backups, IncrementalChainOfFiveRestoresEveryStep) {
  Options o = options();
  std::vector<Dump> states;
  std::vector<std::string> ids;
  {
    KeyValueStore s(o);
    std::mt19937 rng(5);
    for (int step = 0; step < 5; ++step) {
      for (int i = 0; i < 300; ++i) {
        std::string key = "k" + std::to_string(rng() % 400);
        switch (rng() % 4) {
          case 0:
            s.remove(key);
            break;
          case 1:
            s.set_with_ttl(key, "ttl" + std::to_string(step), 3600s, {"ttl"});
            break;
          default:
            s.set(key, std::string(100 + rng() % 200, 'a' + step), {"s" + std::to_string(step)});
        }
      }
      s.compact_storage();  // compaction between backups: new segments, old ones gone
      states.push_back(dump(s));
      BackupInfo info = step == 0
                            ? s.create_backup("b0")
                            : s.create_incremental_backup(ids.back(), "b" + std::to_string(step));
      ids.push_back(info.id);
      if (step > 0) {
        EXPECT_EQ(info.parent, ids[ids.size() - 2]);
        EXPECT_EQ(info.type, "incremental");
      }
    }
    for (int step = 4; step >= 0; --step) {
      EXPECT_TRUE(s.verify_backup(ids[step]));
      s.restore_backup(ids[step], true, true);
      EXPECT_EQ(dump(s), states[step]) << "step " << step;
    }
  }
  auto list = KeyValueStore(o).list_backups();
  ASSERT_EQ(list.size(), 5u);
  EXPECT_EQ(list[3].type, "incremental");
}

TEST_P(Backups, AFlippedByteAnywhereFailsVerifyAndRefusesRestore) {
  KeyValueStore s(options());
  for (int i = 0; i < 300; ++i)
    s.set("k" + std::to_string(i), std::string(300, 'x'));
  s.create_backup("full", true);
  s.set("k1", "newer");
  s.create_incremental_backup("full", "inc", false);
  Dump current = dump(s);
  std::vector<std::string> files = backup_files();
  ASSERT_GT(files.size(), 4u);
  for (const auto& file : files) {
    std::string original = util::read_file(file);
    if (original.empty()) continue;  // no byte to flip (a logical backup's empty delete list)
    flip_byte(file, original.size() / 2);
    EXPECT_FALSE(s.verify_backup("inc")) << file;
    EXPECT_FALSE(s.verify_backup_report("inc").problems.empty());
    EXPECT_THROW(s.restore_backup("inc", true, true), Corruption) << file;
    EXPECT_EQ(dump(s), current);
    util::File(file, O_WRONLY).write_at(0, original);
  }
  EXPECT_TRUE(s.verify_backup("inc"));
}

TEST_P(Backups, IdsAreValidatedAndUnique) {
  KeyValueStore s(options());
  s.set("k", "v");
  for (const std::string& bad :
       std::vector<std::string>{"../x", std::string(65, 'a'), ".", "..", "a/b", "a b"}) {
    EXPECT_THROW(s.create_backup(bad), InvalidArgument) << bad;
  }
  EXPECT_THROW(s.restore_backup(""), InvalidArgument);  // only creation makes up an id
  EXPECT_THROW(s.restore_backup("../x"), InvalidArgument);
  BackupInfo a = s.create_backup(), b = s.create_backup();
  EXPECT_NE(a.id, b.id);
  EXPECT_THROW(s.create_backup(a.id), InvalidArgument);
  EXPECT_THROW(s.restore_backup("nope"), NotFound);
  EXPECT_THROW(s.create_incremental_backup("nope"), NotFound);
  EXPECT_THROW(s.delete_backup("nope"), NotFound);
  EXPECT_TRUE(fs::exists(dir_.sub("backups/db/" + a.id)));
}

TEST_P(Backups, EveryBackupReportsItsManifestSealAsListedLater) {
  KeyValueStore s(options());
  s.set("k", "v");
  BackupInfo a = s.create_backup();
  s.set("k", "v2");
  BackupInfo b = s.create_incremental_backup(a.id);
  EXPECT_EQ(a.checksum.size(), 64u);
  EXPECT_NE(a.checksum, b.checksum);
  std::vector<BackupInfo> listed = s.list_backups();
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[0].checksum, a.checksum);
  EXPECT_EQ(listed[1].checksum, b.checksum);
}

TEST_P(Backups, DeletionAndRetentionNeverBreakAKeptChain) {
  KeyValueStore s(options());
  s.set("k", "v");
  s.create_backup("root");
  s.create_incremental_backup("root", "child");
  s.create_incremental_backup("child", "grandchild");
  s.create_backup("other");
  EXPECT_FALSE(s.delete_backup("root"));  // others depend on it
  EXPECT_EQ(s.list_backups().size(), 4u);
  // Keep only the newest two: "grandchild" needs its whole chain, so nothing can go.
  EXPECT_EQ(s.cleanup_old_backups(2, 0), 0u);
  EXPECT_TRUE(s.delete_backup("grandchild"));
  EXPECT_EQ(s.cleanup_old_backups(1, 0), 2u);  // root and child go, "other" stays
  ASSERT_EQ(s.list_backups().size(), 1u);
  EXPECT_EQ(s.list_backups()[0].id, "other");
  s.create_incremental_backup("other", "x");
  EXPECT_TRUE(s.delete_backup("other", true));  // forced: its dependent goes too
  EXPECT_TRUE(s.list_backups().empty());
}

TEST_P(Backups, MergeRestoreLetsTheBackupWin) {
  KeyValueStore s(options());
  s.set("a", "1", {"x"});
  s.set("b", "2");
  s.create_backup("snap");
  s.set("a", "changed");
  s.remove("b");
  s.set("c", "new");
  s.restore_backup("snap", true, false);
  EXPECT_EQ(s.get("a"), "1");
  EXPECT_EQ(s.get_metadata("a")->tags, std::vector<std::string>{"x"});
  EXPECT_EQ(s.get("b"), "2");
  EXPECT_EQ(s.get("c"), "new");
}

TEST_P(Backups, HotBackupHoldsEveryWriteAcknowledgedBeforeIt) {
  Options o = options();
  std::vector<std::string> acknowledged_before;
  {
    KeyValueStore s(o);
    std::atomic<bool> stop{false};
    std::mutex mutex;
    std::vector<std::string> acked;
    std::vector<std::thread> writers;
    for (int t = 0; t < 4; ++t) {
      writers.emplace_back([&, t] {
        for (int i = 0; !stop; ++i) {
          std::string key = "w" + std::to_string(t) + "/" + std::to_string(i);
          s.set(key, std::string(100, 'v'));
          std::lock_guard lock(mutex);
          acked.push_back(key);
        }
      });
    }
    std::this_thread::sleep_for(100ms);
    {
      std::lock_guard lock(mutex);
      acknowledged_before = acked;
    }
    s.create_backup("hot");
    std::this_thread::sleep_for(50ms);
    stop = true;
    for (auto& w : writers)
      w.join();
  }
  Options restored = options("restored");
  restored.backup_dir = options().backup_dir;
  KeyValueStore r(restored);
  r.restore_backup("hot", true, true);
  ASSERT_GT(acknowledged_before.size(), 100u);
  for (const auto& key : acknowledged_before)
    ASSERT_TRUE(r.exists(key)) << key;
}

// Whether now is wholly old or wholly restored: as a whole, or, where a replacing restore is
// atomic per batch group only (a sharded namespace on a cluster: one script per shard, each
// shard another slot), group by group.
bool old_or_restored(const Dump& now, const Dump& old_state, const Dump& restored,
                     const std::function<std::uint32_t(const std::string&)>& group_of) {
  if (now == old_state || now == restored) return true;
  if (!group_of) return false;
  auto part = [&](const Dump& dump, std::uint32_t group) {
    Dump out;
    for (const auto& [key, value] : dump) {
      if (group_of(key) == group) out.emplace(key, value);
    }
    return out;
  };
  std::set<std::uint32_t> groups;
  for (const Dump* dump : {&now, &old_state, &restored}) {
    for (const auto& entry : *dump)
      groups.insert(group_of(entry.first));
  }
  return std::all_of(groups.begin(), groups.end(), [&](std::uint32_t g) {
    Dump mine = part(now, g);
    return mine == part(old_state, g) || mine == part(restored, g);
  });
}

TEST_P(Backups, KilledRestoreLeavesOldOrNewDataWhole) {
  Options o = options();
  std::function<std::uint32_t(const std::string&)> group_of;
  std::shared_ptr<StorageBackend> backend;
  if (refuses_batches_over_groups(o)) {
    backend = StorageFactory::create(o);
    group_of = [&](const std::string& key) { return backend->batch_group(o.ns, key); };
  }
  Dump old_state, backup_state;
  {
    KeyValueStore s(o);
    for (int i = 0; i < 2000; ++i)
      s.set("k" + std::to_string(i), std::string(300, 'b'));
    backup_state = dump(s);
    s.create_backup("b", false);
    for (int i = 0; i < 2000; i += 2)
      s.set("k" + std::to_string(i), "old");
    old_state = dump(s);
  }
  std::mt19937 rng(std::random_device{}());
  int saw_new = 0;
  for (int round = 0; round < 10; ++round) {
    pid_t pid = ::fork();
    if (pid == 0) {
      KeyValueStore s(o);
      s.restore_backup("b", true, true);
      ::_exit(0);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(rng() % 40));
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    KeyValueStore s(o);
    Dump now = dump(s);
    ASSERT_TRUE(old_or_restored(now, old_state, backup_state, group_of)) << "round " << round;
    if (now != old_state) {  // restored (on a sharded cluster perhaps some shards only)
      ++saw_new;
      for (int i = 0; i < 2000; i += 2)
        s.set("k" + std::to_string(i), "old");  // back to old
    }
  }
  RecordProperty("restores_completed", saw_new);
}

TEST_F(PhysicalBackups, BackupRestoreAndCompactionReportProgressInBytes) {
  KeyValueStore s(options());
  for (int i = 0; i < 2000; ++i)
    s.set("k" + std::to_string(i), std::string(100, 'a' + i % 26));
  for (int i = 0; i < 1000; ++i)
    s.remove("k" + std::to_string(i));
  ProgressLog compaction;
  CompactionReport compacted = s.compact_storage(compaction.callback());
  EXPECT_GE(compaction.calls().size(), 3u);  // several segments
  compaction.expect_complete(compacted.bytes_before);

  ProgressLog backup;
  s.create_backup("full", false, backup.callback());
  std::size_t stored = 0;  // uncompressed: the stored bytes are the segments' bytes
  for (const auto& info : s.list_backups())
    stored += info.stored_bytes;
  backup.expect_complete(stored);

  ProgressLog restore;
  s.restore_backup("full", true, true, restore.callback());
  restore.expect_complete(stored);
  EXPECT_EQ(s.get_all_keys().size(), 1000u);
}

TEST_F(PhysicalBackups, NotSupportedWhereThereAreNoFiles) {
  Options memory = options();
  memory.backend = "memory";
  KeyValueStore m(memory);
  EXPECT_THROW(m.create_backup(), NotSupported);
  Options off = options("off");
  off.enable_backup = false;
  KeyValueStore s(off);
  EXPECT_THROW(s.create_backup(), NotSupported);
}

}  // namespace
}  // namespace nadb::testing
