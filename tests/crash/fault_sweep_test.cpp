// Fault sweep: a workload of sets, deletes, a batch, a transaction, flushes, a compaction, full
// and incremental backups and a restore runs against the fs backend while the Nth file
// operation fails (EIO once; or ENOSPC from then on, a full disk), for every N the workload
// performs. Each run checks that
//   - every failure surfaces as IOError (nothing else, no crash);
//   - reads keep working after the fault;
//   - after a failed segment write or fsync, writes are refused until the store is reopened
//     (sticky); otherwise a write after the fault succeeds and is durable;
//   - reopened without faults, the store holds exactly the state after some step between the
//     last one acknowledged as durable and the failed one (a prefix: no half batch, no lost
//     acknowledged write, no resurrected delete), tag queries agree with it and every listed
//     backup verifies.
// NADB_FAULT_SWEEP_STRIDE=k tries every kth N only (default 1: all).
#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "nadb/nadb.hpp"
#include "support/fault_injector.hpp"
#include "support/temp_dir.hpp"

namespace nadb::testing {
namespace {

using util::FileOp;

struct Item {
  Item() = default;
  Item(std::string v, std::vector<std::string> t) : value(std::move(v)), tags(std::move(t)) {
    std::sort(tags.begin(), tags.end());  // a tag set: the store reports it sorted
  }
  std::string value;
  std::vector<std::string> tags;
  bool operator==(const Item&) const = default;
};
using State = std::map<std::string, Item>;

// One step of the workload: what it does to the store and what it does to the model.
struct Step {
  std::string name;
  std::function<void(KeyValueStore&)> run;
  std::function<void(State&)> apply;
  bool durable_when_buffered = false;  // its success makes everything before it durable
};

const std::vector<std::string> kTags = {"red", "blue", "green"};

std::string value_for(const std::string& key, int version, std::size_t size) {
  std::string v = key + "#" + std::to_string(version) + ":";
  while (v.size() < size)
    v += "lorem ipsum dolor sit amet ";  // compressible: larger values go through zstd
  v.resize(size);
  return v;
}

Step set_step(const std::string& key, int version, std::size_t size,
              std::vector<std::string> tags) {
  std::string value = value_for(key, version, size);
  return {"set " + key, [=](KeyValueStore& s) { s.set(key, value, tags); },
          [=](State& m) {
            m[key] = Item{value, tags};
          }};
}

Step remove_step(const std::string& key) {
  return {"remove " + key, [=](KeyValueStore& s) { s.remove(key); },
          [=](State& m) { m.erase(key); }};
}

Step no_change(std::string name, std::function<void(KeyValueStore&)> run) {
  return {std::move(name), std::move(run), [](State&) {}};
}

// The workload; backup steps record the state they capture in *backups.
std::vector<Step> workload(std::map<std::string, State>& backups) {
  std::vector<Step> steps;
  for (int i = 0; i < 6; ++i)
    steps.push_back(set_step("a" + std::to_string(i), 1, 300, {kTags[i % 3]}));
  steps.push_back(set_step("big", 1, 6000, {"red", "green"}));
  steps.push_back(remove_step("a1"));
  steps.push_back(remove_step("p3"));
  steps.push_back(
      {"set_with_ttl a2",
       [](KeyValueStore& s) { s.set_with_ttl("a2", "short-lived", std::chrono::hours(1)); },
       [](State& m) {
         m["a2"] = Item{"short-lived", {}};
       }});
  std::vector<BatchItem> batch;
  for (int i = 0; i < 4; ++i)
    batch.push_back({"c" + std::to_string(i), value_for("c", i, 200), {"blue"}, std::nullopt});
  steps.push_back({"batch_set", [=](KeyValueStore& s) { s.batch_set(batch); },
                   [=](State& m) {
                     for (const auto& b : batch)
                       m[b.key] = Item{b.value, b.tags};
                   }});
  steps.push_back({"transaction",
                   [](KeyValueStore& s) {
                     auto tx = s.transaction();
                     tx.set("d0", "from a transaction", {"green"});
                     tx.remove("a3");
                     tx.commit();
                   },
                   [](State& m) {
                     m["d0"] = Item{"from a transaction", {"green"}};
                     m.erase("a3");
                   }});
  steps.push_back({"flush", [](KeyValueStore& s) { s.flush(); }, [](State&) {}, true});
  steps.push_back(no_change("compact", [](KeyValueStore& s) { s.compact_storage(); }));
  steps.push_back({"backup full", [](KeyValueStore& s) { s.create_backup("full"); },
                   [&backups](State& m) { backups["full"] = m; }});
  for (int i = 0; i < 3; ++i)
    steps.push_back(set_step("e" + std::to_string(i), 1, 2500, {"red"}));
  steps.push_back({"backup inc",
                   [](KeyValueStore& s) { s.create_incremental_backup("full", "inc"); },
                   [&backups](State& m) { backups["inc"] = m; }});
  steps.push_back(remove_step("a4"));
  steps.push_back(set_step("a5", 2, 400, {"blue"}));
  steps.push_back({"flush", [](KeyValueStore& s) { s.flush(); }, [](State&) {}, true});
  steps.push_back({"restore inc", [](KeyValueStore& s) { s.restore_backup("inc", true, true); },
                   [&backups](State& m) { m = backups["inc"]; }, true});
  steps.push_back(set_step("f0", 1, 300, {"green"}));
  steps.push_back({"flush", [](KeyValueStore& s) { s.flush(); }, [](State&) {}, true});
  return steps;
}

Options options_for(const std::string& folder, Durability durability) {
  Options o;
  o.data_folder = folder;
  o.db = "db";
  o.durability = durability;
  o.flush_interval = std::chrono::hours(1);  // flushes only where the workload asks
  o.max_segment_size_mb = 0.0625;            // 64 KiB: several segments to compact and back up
  o.backup_dir = folder + "/backups";
  return o;
}

// Phase 1, without faults: 20 keys over several segments, some overwritten (dead bytes).
State prepare(const Options& options) {
  State state;
  KeyValueStore store(options);
  for (int round = 0; round < 2; ++round) {
    for (int i = 0; i < 20; ++i) {
      std::string key = "p" + std::to_string(i);
      std::string value = value_for(key, round, 1500 + 97 * i);
      std::vector<std::string> tags = {kTags[(i + round) % 3]};
      store.set(key, value, tags);
      state[key] = Item{value, tags};
    }
  }
  store.flush();
  return state;
}

State read_state(KeyValueStore& store) {
  State state;
  for (const auto& key : store.get_all_keys()) {
    auto entry = store.get_with_metadata(key);
    if (entry) state[key] = Item{entry->value, entry->metadata.tags};
  }
  return state;
}

// What differs between two states, for failure messages.
std::string difference(const State& expected, const State& actual) {
  std::string out;
  for (const auto& [key, item] : expected) {
    auto it = actual.find(key);
    if (it == actual.end()) {
      out += " missing " + key + ";";
    } else if (!(it->second == item)) {
      out += " changed " + key + ";";
    }
  }
  for (const auto& [key, item] : actual) {
    if (expected.count(key) == 0) out += " extra " + key + ";";
  }
  return out;
}

struct RunResult {
  bool fired = false;
  std::uint64_t operations = 0;  // counted file operations of the whole run
};

// Runs the workload with the Nth operation failing (fail_at 0: none) and checks it.
RunResult run_once(Durability durability, std::uint64_t fail_at, int error, bool persistent) {
  TempDir dir;
  Options options = options_for(dir.path(), durability);
  std::vector<State> snapshots = {prepare(options)};
  std::map<std::string, State> backups;
  std::vector<Step> steps = workload(backups);
  std::size_t durable = 0;               // snapshots[durable] and before are acknowledged durable
  std::optional<std::size_t> failed_at;  // the step that threw (0: opening the store)
  std::optional<Item> probe;             // written after the fault, acknowledged durable
  std::string context = "fault at operation " + std::to_string(fail_at) + " (errno " +
                        std::to_string(error) + ", " +
                        (durability == Durability::Sync ? "Sync" : "Buffered") + ")";
  RunResult result;
  std::string failure;
  {
    // A full disk fails what needs space; reads and metadata calls go on working.
    std::set<FileOp> ops;
    if (persistent) ops = {FileOp::Write, FileOp::Sync};
    FaultInjector faults(fail_at, error, ops, persistent);
    auto expect_io_error = [&](const std::function<void()>& fn, const std::string& what) {
      try {
        fn();
        return true;
      } catch (const IOError& e) {
        if (error == ENOSPC && std::string(e.what()).find("No space left") == std::string::npos)
          ADD_FAILURE() << context << ": " << what << ": IOError without the cause: " << e.what();
        return false;
      } catch (const std::exception& e) {
        ADD_FAILURE() << context << ": " << what << " threw a non-IOError: " << e.what();
        return false;
      }
    };
    std::unique_ptr<KeyValueStore> store;
    if (!expect_io_error([&] { store = std::make_unique<KeyValueStore>(options); }, "open")) {
      failed_at = 0;
    }
    for (std::size_t i = 0; store && !failed_at && i < steps.size(); ++i) {
      State next = snapshots.back();
      steps[i].apply(next);
      snapshots.push_back(next);
      if (!expect_io_error([&] { steps[i].run(*store); }, steps[i].name)) {
        failed_at = i + 1;
        break;
      }
      if (durability == Durability::Sync || steps[i].durable_when_buffered) durable = i + 1;
    }
    if (faults.fired()) {
      failure = "op " + std::to_string(static_cast<int>(faults.failed_op())) + " on " +
                faults.failed_path();
    }
    result.fired = faults.fired();
    result.operations = faults.count();
    if (store && failed_at) {
      // Reads keep working; then either every write is refused (sticky) or a write succeeds.
      EXPECT_NO_THROW(store->get("p0")) << context;
      const std::string& path = faults.failed_path();
      bool segment_fault =
          path.rfind(dir.sub("db/"), 0) == 0 && path.size() > 4 &&
          path.substr(path.size() - 4) == ".seg" &&
          (faults.failed_op() == FileOp::Write || faults.failed_op() == FileOp::Sync);
      if (persistent) faults.stop();  // space freed: the store must still refuse if it failed
      bool wrote = expect_io_error(
          [&] {
            store->set("probe", "after the fault");
            store->flush();
          },
          "probe");
      if (segment_fault) {
        EXPECT_FALSE(wrote) << context << ": a write was accepted after the segment failed at "
                            << faults.failed_path();
      }
      if (wrote) {
        probe = Item{"after the fault", {}};
        durable = *failed_at - 1;  // the flush made everything acknowledged durable
      } else {
        EXPECT_THROW(store->set("probe2", "x"), IOError) << context << ": not sticky";
      }
    }
    store.reset();
  }
  if (!result.fired) return result;
  KeyValueStore reopened(options);
  State actual = read_state(reopened);
  std::size_t last = failed_at ? *failed_at : snapshots.size() - 1;
  bool matched = false;
  for (std::size_t k = durable; k <= last && k < snapshots.size() && !matched; ++k) {
    State expected = snapshots[k];
    if (probe) expected["probe"] = *probe;
    matched = actual == expected;
  }
  EXPECT_TRUE(matched) << context << " (" << failure << ", failed step "
                       << (failed_at ? *failed_at : 0) << ", durable " << durable
                       << "): the reopened store matches no state "
                       << "between the durable one and the failed step; against the durable one: "
                       << difference(snapshots[durable], actual);
  for (const auto& tag : kTags) {
    std::vector<std::string> expected;
    for (const auto& [key, item] : actual) {
      for (const auto& t : item.tags)
        if (t == tag) expected.push_back(key);
    }
    EXPECT_EQ(reopened.query_by_tags({tag}), expected) << context << ": tag " << tag;
  }
  for (const auto& backup : reopened.list_backups())
    EXPECT_TRUE(reopened.verify_backup(backup.id)) << context << ": backup " << backup.id;
  // Writes resume after reopening.
  reopened.set("resumed", "yes");
  reopened.flush();
  EXPECT_EQ(reopened.get("resumed"), "yes") << context;
  return result;
}

std::uint64_t stride() {
  const char* s = std::getenv("NADB_FAULT_SWEEP_STRIDE");
  return s == nullptr ? 1 : std::max(1L, std::strtol(s, nullptr, 10));
}

void sweep(Durability durability, int error, bool persistent) {
  RunResult clean = run_once(durability, 0, error, persistent);  // counts the same operations
  ASSERT_FALSE(clean.fired);
  ASSERT_GT(clean.operations, 30u) << "the workload should do many file operations";
  std::uint64_t tried = 0;
  for (std::uint64_t n = 1; n <= clean.operations; n += stride()) {
    RunResult r = run_once(durability, n, error, persistent);
    EXPECT_TRUE(r.fired) << "operation " << n << " of " << clean.operations << " never ran";
    ++tried;
    if (::testing::Test::HasFailure()) break;  // the first failing N tells the story
  }
  ::testing::Test::RecordProperty("operations", static_cast<int>(clean.operations));
  EXPECT_GT(tried, 0u);
}

TEST(FaultSweep, EioOnceSync) {
  sweep(Durability::Sync, EIO, false);
}

TEST(FaultSweep, EioOnceBuffered) {
  sweep(Durability::Buffered, EIO, false);
}

TEST(FaultSweep, DiskFullSync) {
  sweep(Durability::Sync, ENOSPC, true);
}

TEST(FaultSweep, DiskFullBuffered) {
  sweep(Durability::Buffered, ENOSPC, true);
}

}  // namespace
}  // namespace nadb::testing
