// Fault sweep: a workload of sets, deletes, a batch, a transaction, flushes, a compaction, full
// and incremental backups and a restore runs against the fs backend while the Nth file
// operation fails (EIO once; ENOSPC from then on, a full disk; or every operation from then on,
// a power cut, after which what was not fsynced is dropped or torn: support/power_cut.hpp), for
// every N the workload performs. Each run checks that
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

#include <filesystem>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "nadb/nadb.hpp"
#include "support/backend_kit.hpp"
#include "support/fault_injector.hpp"
#include "support/power_cut.hpp"
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
  Options o = test_options(folder);
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

enum class Fault { Eio, DiskFull, PowerCut, TornPowerCut };

const char* fault_name(Fault fault) {
  switch (fault) {
    case Fault::Eio:
      return "EIO once";
    case Fault::DiskFull:
      return "ENOSPC from then on";
    case Fault::PowerCut:
      return "power cut";
    case Fault::TornPowerCut:
      return "power cut, torn writes";
  }
  return "?";
}

bool is_power_cut(Fault fault) {
  return fault == Fault::PowerCut || fault == Fault::TornPowerCut;
}

std::unique_ptr<FaultInjector> make_injector(Fault fault, std::uint64_t fail_at) {
  switch (fault) {
    case Fault::Eio:
      return std::make_unique<FaultInjector>(fail_at, EIO);
    case Fault::DiskFull:  // what needs space fails; reads and metadata calls go on working
      return std::make_unique<FaultInjector>(fail_at, ENOSPC,
                                             std::set<FileOp>{FileOp::Write, FileOp::Sync}, true);
    case Fault::PowerCut:
    case Fault::TornPowerCut:
      return std::make_unique<PowerCut>(fail_at);
  }
  return nullptr;
}

// One run of the workload with the Nth file operation failing (0: none), and its checks.
class SweepRun {
 public:
  SweepRun(Durability durability, Fault fault, std::uint64_t fail_at)
      : durability_(durability),
        fault_(fault),
        options_(options_for(dir_.path(), durability)),
        context_("fault at operation " + std::to_string(fail_at) + " (" + fault_name(fault) + ", " +
                 (durability == Durability::Sync ? "Sync" : "Buffered") + ")") {
    snapshots_.push_back(prepare(options_));
    steps_ = workload(backups_);
    injector_ = make_injector(fault, fail_at);
  }

  // Runs the workload and, if the fault fired, checks the reopened store. Returns the number
  // of file operations counted, and whether the fault fired.
  std::pair<std::uint64_t, bool> run() {
    run_workload();
    if (store_ && failed_at_ && !is_power_cut(fault_)) check_after_fault();
    store_.reset();
    if (is_power_cut(fault_))
      static_cast<PowerCut&>(*injector_).revert(fault_ == Fault::TornPowerCut);
    std::pair<std::uint64_t, bool> result{injector_->count(), injector_->fired()};
    if (injector_->fired()) {
      failure_ = "operation kind " + std::to_string(static_cast<int>(injector_->failed_op())) +
                 " on " + injector_->failed_path();
    }
    injector_.reset();
    if (result.second) check_reopened();
    return result;
  }

 private:
  // Runs fn; false if it threw IOError (anything else is a test failure).
  bool succeeds(const std::function<void()>& fn, const std::string& what) {
    try {
      fn();
      return true;
    } catch (const IOError& e) {
      if (fault_ == Fault::DiskFull &&
          std::string(e.what()).find("No space left") == std::string::npos)
        ADD_FAILURE() << context_ << ": " << what << ": IOError without the cause: " << e.what();
    } catch (const std::exception& e) {
      ADD_FAILURE() << context_ << ": " << what << " threw a non-IOError: " << e.what();
    }
    return false;
  }

  void run_workload() {
    if (!succeeds([&] { store_ = std::make_unique<KeyValueStore>(options_); }, "open")) {
      failed_at_ = 0;
      return;
    }
    for (std::size_t i = 0; i < steps_.size(); ++i) {
      State next = snapshots_.back();
      steps_[i].apply(next);
      snapshots_.push_back(next);
      if (!succeeds([&] { steps_[i].run(*store_); }, steps_[i].name)) {
        failed_at_ = i + 1;
        return;
      }
      if (durability_ == Durability::Sync || steps_[i].durable_when_buffered) durable_ = i + 1;
    }
  }

  // Reads keep working; then either every write is refused (sticky) or a write succeeds and
  // is durable.
  void check_after_fault() {
    EXPECT_NO_THROW(store_->get("p0")) << context_;
    const std::string& path = injector_->failed_path();
    // A failed write of one of the db's segments (not of one in a restored folder that the
    // failed restore took away again: its new active segment, say).
    bool segment_fault =
        path.rfind(dir_.sub("db/"), 0) == 0 && path.size() > 4 &&
        path.substr(path.size() - 4) == ".seg" && std::filesystem::exists(path) &&
        (injector_->failed_op() == FileOp::Write || injector_->failed_op() == FileOp::Sync);
    injector_->stop();  // space freed: a store that failed must still refuse
    bool wrote = succeeds(
        [&] {
          store_->set("probe", "after the fault");
          store_->flush();
        },
        "probe");
    if (segment_fault) {
      EXPECT_FALSE(wrote) << context_ << ": a write was accepted after the segment failed at "
                          << path;
    }
    if (wrote) {
      probe_ = Item{"after the fault", {}};
      durable_ = *failed_at_ - 1;  // the flush made everything acknowledged durable
    } else {
      EXPECT_THROW(store_->set("probe2", "x"), IOError) << context_ << ": not sticky";
    }
  }

  // The reopened store holds a state between the durable one and the failed step, its tag
  // queries agree, its backups verify and it takes writes.
  void check_reopened() {
    KeyValueStore reopened(options_);
    State actual = read_state(reopened);
    std::size_t last = failed_at_ ? *failed_at_ : snapshots_.size() - 1;
    bool matched = false;
    for (std::size_t k = durable_; k <= last && !matched; ++k) {
      State expected = snapshots_[k];
      if (probe_) expected["probe"] = *probe_;
      matched = actual == expected;
    }
    EXPECT_TRUE(matched) << context_ << " (" << failure_ << ", failed step "
                         << failed_at_.value_or(0) << ", durable " << durable_
                         << "): the reopened store matches no state between the durable one "
                         << "and the failed step; against the durable one: "
                         << difference(snapshots_[durable_], actual);
    for (const auto& tag : kTags) {
      std::vector<std::string> expected;
      for (const auto& [key, item] : actual) {
        if (std::count(item.tags.begin(), item.tags.end(), tag) > 0) expected.push_back(key);
      }
      EXPECT_EQ(reopened.query_by_tags({tag}), expected) << context_ << ": tag " << tag;
    }
    for (const auto& backup : reopened.list_backups())
      EXPECT_TRUE(reopened.verify_backup(backup.id)) << context_ << ": backup " << backup.id;
    reopened.set("resumed", "yes");
    reopened.flush();
    EXPECT_EQ(reopened.get("resumed"), "yes") << context_;
  }

  TempDir dir_;
  const Durability durability_;
  const Fault fault_;
  const Options options_;
  const std::string context_;
  std::vector<State> snapshots_;  // snapshots_[i]: the state after i steps
  std::map<std::string, State> backups_;
  std::vector<Step> steps_;
  std::unique_ptr<FaultInjector> injector_;
  std::unique_ptr<KeyValueStore> store_;
  std::size_t durable_ = 0;               // snapshots_[durable_] is acknowledged durable
  std::optional<std::size_t> failed_at_;  // the step that threw (0: opening the store)
  std::optional<Item> probe_;             // written after the fault, acknowledged durable
  std::string failure_;
};

std::uint64_t stride() {
  const char* s = std::getenv("NADB_FAULT_SWEEP_STRIDE");
  return s == nullptr ? 1 : std::max(1L, std::strtol(s, nullptr, 10));
}

void sweep(Durability durability, Fault fault) {
  auto [operations, fired] = SweepRun(durability, fault, 0).run();  // counts the operations
  ASSERT_FALSE(fired);
  ASSERT_GT(operations, 30u) << "the workload should do many file operations";
  for (std::uint64_t n = 1; n <= operations; n += stride()) {
    EXPECT_TRUE(SweepRun(durability, fault, n).run().second)
        << "operation " << n << " of " << operations << " never ran";
    if (::testing::Test::HasFailure()) break;  // the first failing N tells the story
  }
  ::testing::Test::RecordProperty("operations", static_cast<int>(operations));
}

// Every fault under every durability mode.
using SweepCase = std::tuple<Durability, Fault>;
class FaultSweep : public ::testing::TestWithParam<SweepCase> {};

std::string case_name(const ::testing::TestParamInfo<SweepCase>& param_info) {
  static const char* const kFaults[] = {"EioOnce", "DiskFull", "PowerCut", "TornPowerCut"};
  return std::string(kFaults[static_cast<int>(std::get<1>(param_info.param))]) +
         (std::get<0>(param_info.param) == Durability::Sync ? "Sync" : "Buffered");
}

INSTANTIATE_TEST_SUITE_P(
    Faults, FaultSweep,
    ::testing::Combine(::testing::Values(Durability::Sync, Durability::Buffered),
                       ::testing::Values(Fault::Eio, Fault::DiskFull, Fault::PowerCut,
                                         Fault::TornPowerCut)),
    case_name);

TEST_P(FaultSweep, EveryOperationFailingKeepsEveryAcknowledgedWrite) {
  sweep(std::get<0>(GetParam()), std::get<1>(GetParam()));
}

}  // namespace
}  // namespace nadb::testing
