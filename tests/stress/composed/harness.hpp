// The composed test's driver: random operations of every kind — writes, TTLs, transactions,
// compare-and-set with remembered versions, flushes, compactions, reopens, kills, backups,
// restores, exports, imports, syncs — on two dbs with hostile names, each step followed by a
// comparison of the whole store with the model (harness_check.cpp).
#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "nadb/nadb.hpp"
#include "stress/composed/generators.hpp"
#include "stress/composed/model.hpp"
#include "support/backend_kit.hpp"

namespace nadb::testing::composed {

struct Config {
  KitBackend backend;  // opened by its factory (support/backend_kit.hpp)
  std::string folder;  // data folder (backups and exports live in it too)
  std::uint64_t seed = 0;
  // The run ends after `steps` steps (0: no limit) or `duration`, whichever comes first.
  std::size_t steps = 0;
  std::chrono::milliseconds duration{4000};
  std::size_t max_value = 1 << 20;  // the largest value written
  // The largest request the backend's server takes (0: no limit): the test's own batches
  // stay well below it, replays (restores, imports, syncs) must split themselves.
  std::size_t max_request = 0;
  // Operations never run (names as in Harness::counts()): to look past a known failure.
  std::vector<std::string> skip;
  // After a disagreement: report it, take the store's state as the model and go on (to find
  // several defects in one run); run() then throws at the end if anything disagreed.
  bool keep_going = false;
};

// Whether what a read during w returned (actual; nullopt: absent) is what c allows.
bool read_matches(const std::optional<Entry>& actual, const Candidate& c, Window w);

// A write of a killed child, as it reports it: started (done 0) or acknowledged (done 1); done
// 2 and up are the child's own news (harness_copy.cpp).
struct CrashReport {
  std::uint8_t done = 0;
  std::uint8_t ns = 0;
  std::uint16_t key = 0;
  std::uint32_t serial = 0;  // 0: a delete
};

class Harness {
 public:
  explicit Harness(Config config);
  ~Harness();
  Harness(const Harness&) = delete;
  Harness& operator=(const Harness&) = delete;

  // Runs steps until the duration is over. Throws Mismatch (with the recent steps) at the
  // first disagreement between the store and the model, or what the store threw unexpectedly.
  void run();
  std::size_t steps() const { return steps_; }
  // How many times each operation ran.
  const std::map<std::string, std::size_t>& counts() const { return counts_; }
  // How many compression dictionaries the dbs hold now (trained by the run's stores).
  std::size_t dictionaries() const;
  // keep_going: every disagreement found, with the steps before it.
  const std::vector<std::string>& findings() const { return findings_; }

 private:
  struct Backup {
    std::string id;
    std::string parent;
    DbModel model;      // the db when it was taken
    bool known = true;  // false: found by resync(), its content unknown
  };
  struct Export {
    std::string path;
    std::string ns;
    NamespaceModel model;
  };
  struct Db {
    std::string name;
    DbModel model;
    std::map<std::string, std::unique_ptr<KeyValueStore>> stores;  // by namespace
    std::unique_ptr<KeyValueStore> keeper;  // memory: keeps the backend across reopens
    // fs: read-only views by namespace, open across steps (op_read_only_view).
    std::map<std::string, std::unique_ptr<KeyValueStore>> views;
    std::vector<Backup> backups;  // oldest first
    VersionRegistry versions;
  };
  struct Remembered {
    Db* db;
    std::string ns;
    std::string key;
    std::uint64_t version;
  };

  Options options_of(const std::string& db, const std::string& ns) const;
  void open(Db& db);
  void close(Db& db);
  KeyValueStore& store(Db& db, const std::string& ns) { return *db.stores.at(ns); }
  // What the backend declares: backups need files, or a change log and a staging area.
  bool has_backups() const { return physical() || logical_backups_; }
  bool physical() const { return physical_files_; }
  bool cluster() const { return options_of("x", "n").redis.cluster; }
  // Where key's versions are drawn from (VersionRegistry's "namespace"): ns, or its shard of
  // a sharded namespace (each shard has its own versions: a write anywhere in the namespace
  // gets a higher version than every earlier one of its shard).
  std::string version_space(const std::string& ns, const std::string& key) const;
  // Whether a batch over keys of ns is refused whole (NotSupported, nothing written): keys of
  // different shards of a sharded namespace on a Redis Cluster. Then runs write and fails the
  // test unless it throws NotSupported, and returns true; else returns false (write not run).
  bool refused_batch(Db& db, const std::string& ns, const std::vector<std::string>& keys,
                     const std::function<void()>& write);

  // One random step on a random db and namespace (harness.cpp and harness_ops.cpp).
  void step();
  void trace(const std::string& line);
  [[noreturn]] void fail(const std::string& what);
  Item random_item(std::optional<std::chrono::seconds>& ttl);
  // Whether one more write of key and item still fits a batch of `bytes` so far (adds it).
  bool fits(std::size_t& bytes, const std::string& key, const Item& item) const;
  // A key: often one just written (so that "write, delete, compact" hits the same key).
  const std::string& pick_key();
  std::optional<std::chrono::seconds> random_ttl();
  // Reads the key's metadata right after a write of it during w: learns its version and
  // exact expiry, checking the tags and that the expiry lies in [w.start + ttl, w.end + ttl];
  // and its creation time, checking it lies in `created` when that is known.
  void learn(Db& db, const std::string& ns, const std::string& key, Window w,
             std::optional<std::chrono::seconds> ttl, std::optional<Window> created);
  // When a key written during w (a write that keeps creation times) must have been created:
  // as before if it was certainly live throughout w (if known), during w if certainly absent.
  // Call before the model learns the write.
  std::optional<Window> created_after_write(Db& db, const std::string& ns, const std::string& key,
                                            Window w) const;

  // Key operations.
  void op_set(Db& db, const std::string& ns);
  void op_text_burst(Db& db, const std::string& ns);
  // Sets key to item with ttl through the store of ns, and tells the model.
  void set_item(Db& db, const std::string& ns, const std::string& key, const Item& item,
                std::optional<std::chrono::seconds> ttl);
  void op_remove(Db& db, const std::string& ns);
  void op_expire(Db& db, const std::string& ns);
  void op_batch_set(Db& db, const std::string& ns);
  void op_batch_remove(Db& db, const std::string& ns);
  void op_transaction(Db& db, const std::string& ns);
  void op_compare_and_set(Db& db, const std::string& ns);
  void op_set_if_absent(Db& db, const std::string& ns);
  void op_flushdb(Db& db, const std::string& ns);
  void op_cleanup_expired(Db& db, const std::string& ns);
  // Maintenance.
  void op_wait_for_expiry();
  void op_reopen(Db& db);
  void op_crash(Db& db);
  // A child's stores of every namespace of db, writing with Durability::Sync.
  std::vector<std::unique_ptr<KeyValueStore>> open_sync_stores(const Db& db);
  // What a killed child's writes leave in db's model: acknowledged ones, and for each
  // started one not acknowledged, either outcome. padded: as crash_item made them.
  void learn_crash_reports(Db& db, const std::vector<CrashReport>& reports, bool padded);
  // fs: a writer killed inside the keydir image write of its close or of a checkpoint, at a
  // random file operation.
  void op_crash_in_image_write(Db& db, bool checkpoint);
  void op_read_only_view(Db& db);
  // Opens or refreshes db's read-only views and checks them against the model.
  void check_read_only_views(Db& db);
  // Backups (harness_backup.cpp).
  void op_backup(Db& db, bool incremental);
  // One of db's backups whose content the model knows, at random; null if there is none.
  const Backup* pick_known_backup(Db& db);
  void op_restore(Db& db, bool replace);
  // A replacing restore killed (kill -9) at a random instant, then settle_killed_restore.
  void op_killed_restore(Db& db);
  // After a killed replacing restore of `restored`: fails unless each unit the restore replaces
  // atomically (restore_unit) holds wholly what the model says or wholly the backup, and
  // makes the model say which (or either, where no key tells them apart).
  void settle_killed_restore(Db& db, const DbModel& restored);
  // The part of the db a replacing restore swaps in one atomic step that holds key of ns: the
  // whole db (fs: one folder rename), a namespace (Redis: one script; on one server for all of
  // a sharded namespace's shards), or a shard of a namespace on a Redis Cluster (one script
  // per slot).
  std::string restore_unit(const std::string& ns, const std::string& key) const;
  void op_delete_backup(Db& db);
  void op_verify_backups(Db& db);
  // A Redis Cluster's slot moving under an operation (harness_cluster.cpp).
  void op_move_slot(Db& db, const std::string& ns);
  // Logical copies.
  void op_export(Db& db, const std::string& ns);
  void op_import(Db& db, const std::string& ns);
  void op_import_extreme(Db& db, const std::string& ns);
  void op_sync(Db& db, const std::string& ns);

  // Checks (harness_check.cpp): every namespace of db, as s shows it (the db's own store
  // of the namespace unless told), equals the model.
  void check(Db& db);
  // with_queries false: the tag queries are left out, so that the index stays as it is (on the
  // fs backend, not built after a reopen: the next writes, closes and crashes meet it so).
  void check_namespace(Db& db, const std::string& ns, KeyValueStore& s, bool with_queries = true);
  void check_count(Db& db, const std::string& ns, KeyValueStore& s);
  // fs: no file of db was set aside as damaged (nothing here damages files).
  void check_no_false_damage(Db& db);
  void check_queries(Db& db, const std::string& ns, KeyValueStore& s);
  void check_backup_list(Db& db);
  // keep_going: the model becomes what the store holds now (versions forgotten).
  void resync();

  const Config config_;
  // What the backend declares, asked once at the start.
  bool physical_files_ = false;
  bool logical_backups_ = false;
  bool persistent_ = false;
  Rng rng_;
  std::vector<std::string> keys_;
  std::vector<std::string> tags_;
  const std::vector<std::string> namespaces_ = {"a", "gen"};
  std::vector<std::unique_ptr<Db>> dbs_;
  std::vector<Export> exports_;
  std::deque<Remembered> remembered_;  // versions seen, for compare-and-set
  std::deque<std::string> trace_;
  std::deque<std::string> recent_keys_;  // the last keys written
  // When keys were created (by db, namespace, key), as learned since the last operation that
  // may set creation times the model cannot tell (restores, imports, syncs, crashes): step()
  // forgets them all before one.
  std::map<std::tuple<const Db*, std::string, std::string>, Window> created_;
  std::map<std::string, std::size_t> counts_;
  std::vector<std::string> findings_;
  std::size_t steps_ = 0;
  bool streak_ = false;  // the next step is maintenance on last_db_
  Db* last_db_ = nullptr;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  std::uint64_t serial_ = 0;  // values and ids are numbered
};

}  // namespace nadb::testing::composed
