// Read-only views (Options::read_only) beside a writer in another process: the writer sets,
// deletes, compacts, backs up, restores and reopens; the reader refreshes and must match the
// writer's flushed state every time, and never write anything.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <thread>

#include "nadb/nadb.hpp"
#include "support/temp_dir.hpp"
#include "support/test_options.hpp"
#include "util/file_system_hooks.hpp"

namespace nadb::testing {
namespace {

using namespace std::chrono_literals;

Options writer_options(const std::string& folder) {
  Options options = test_options(folder, "app");
  options.max_segment_size_mb = 0.0625;  // 64 KiB: many segments, hints and compactions
  options.compression_threshold = 512;
  options.flush_interval = 20ms;
  return options;
}

Options reader_options(const std::string& folder) {
  Options options = writer_options(folder);
  options.read_only = true;
  return options;
}

// Everything a reader can observe of the namespace, folded into one number: every live key
// with its value, tags, version and expiry, and a tag query.
std::uint64_t state_digest(KeyValueStore& store) {
  std::uint64_t hash = 1469598103934665603ull;
  auto mix = [&](std::string_view bytes) {
    for (unsigned char c : bytes)
      hash = (hash ^ c) * 1099511628211ull;
    hash = (hash ^ 0xff) * 1099511628211ull;  // a separator: ("ab","c") differs from ("a","bc")
  };
  for (const auto& key : store.get_all_keys()) {
    auto entry = store.get_with_metadata(key);
    if (!entry) throw std::runtime_error("a scanned key has no value: " + key);
    mix(key);
    mix(entry->value);
    for (const auto& tag : entry->metadata.tags)
      mix(tag);
    mix(std::to_string(entry->metadata.version));
    auto expires = entry->metadata.expires_at;
    mix(expires ? std::to_string(expires->time_since_epoch().count()) : "-");
  }
  for (const auto& key : store.query_by_tags({"red"}))
    mix("red:" + key);
  return hash;
}

// size bytes that do not compress: values fill segments as their size says.
std::string noise(std::mt19937_64& rng, std::size_t size) {
  std::string value(size, ' ');
  for (char& c : value)
    c = static_cast<char>(rng());
  return value;
}

struct StepReport {
  std::uint64_t step = 0;
  std::uint64_t digest = 0;
  std::uint64_t keys = 0;
  char operation[24] = {};
};

bool read_whole(int fd, void* out, std::size_t n) {
  auto* bytes = static_cast<char*>(out);
  while (n > 0) {
    ssize_t r = ::read(fd, bytes, n);
    if (r <= 0) return false;
    bytes += r;
    n -= static_cast<std::size_t>(r);
  }
  return true;
}

// One writer step chosen by rng; returns its name.
const char* writer_step(std::unique_ptr<KeyValueStore>& store, const Options& options,
                        std::mt19937_64& rng, std::vector<std::string>& backups) {
  auto key = [&] { return "key-" + std::to_string(rng() % 150); };
  auto value = [&] {
    std::size_t size = rng() % 3 == 0 ? rng() % 6000 : rng() % 200;
    return std::string(size, static_cast<char>('a' + rng() % 26));
  };
  auto tags = [&] {
    std::vector<std::string> out;
    if (rng() % 2) out.push_back("red");
    if (rng() % 3) out.push_back("blue");
    return out;
  };
  int roll = static_cast<int>(rng() % 100);
  if (roll < 45) {
    store->set(key(), value(), tags());
    return "set";
  }
  if (roll < 55) {
    store->set_with_ttl(key(), value(), 3600s, tags());
    return "set_with_ttl";
  }
  if (roll < 68) {
    store->remove(key());
    return "remove";
  }
  if (roll < 75) {
    std::vector<BatchItem> items;
    for (int i = 0; i < 6; ++i)
      items.push_back(BatchItem{key(), value(), tags(), std::nullopt});
    store->batch_set(items);
    return "batch_set";
  }
  if (roll < 80) {
    store->compact_storage();
    return "compact";
  }
  if (roll < 84) {
    backups.push_back(store->create_backup().id);
    return "backup";
  }
  if (roll < 88 && !backups.empty()) {
    store->restore_backup(backups[rng() % backups.size()], true, rng() % 3 != 0);
    return "restore";
  }
  if (roll < 91) {
    store->flushdb();
    return "flushdb";
  }
  if (roll < 95) {
    Options other = options;
    other.ns = "other";
    KeyValueStore(other).set(key(), value());
    return "set_other_ns";
  }
  store.reset();  // close (hints written, active segment sealed) and reopen
  store = std::make_unique<KeyValueStore>(options);
  return "reopen";
}

// The writer process: after each step it flushes, reports its own view, and waits for the
// reader's go-ahead (lockstep: the flushed state is then exactly the writer's state).
[[noreturn]] void run_writer(const Options& options, std::uint64_t seed, int steps, int report_fd,
                             int ack_fd) {
  try {
    std::mt19937_64 rng(seed);
    std::vector<std::string> backups;
    auto store = std::make_unique<KeyValueStore>(options);
    for (int step = 0; step < steps; ++step) {
      StepReport report;
      report.step = static_cast<std::uint64_t>(step);
      std::strncpy(report.operation, writer_step(store, options, rng, backups),
                   sizeof report.operation - 1);
      store->flush();
      report.digest = state_digest(*store);
      report.keys = store->get_all_keys().size();
      if (::write(report_fd, &report, sizeof report) != sizeof report) ::_exit(3);
      char go = 0;
      if (!read_whole(ack_fd, &go, 1)) ::_exit(4);
    }
    store.reset();
    ::_exit(0);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "writer failed: %s\n", e.what());
    ::_exit(2);
  }
}

TEST(ReadOnly, FollowsAWriterProcessThroughWritesCompactionsBackupsAndRestores) {
  TempDir dir;
  constexpr int kSteps = 300;
  const std::uint64_t seed = 20261206;
  int reports[2], acks[2];
  ASSERT_EQ(::pipe(reports), 0);
  ASSERT_EQ(::pipe(acks), 0);
  pid_t writer = ::fork();
  if (writer == 0) {
    ::close(reports[0]);
    ::close(acks[1]);
    run_writer(writer_options(dir.path()), seed, kSteps, reports[1], acks[0]);
  }
  ::close(reports[1]);
  ::close(acks[0]);
  std::unique_ptr<KeyValueStore> reader;
  std::set<std::string> operations;
  for (int step = 0; step < kSteps; ++step) {
    StepReport report;
    ASSERT_TRUE(read_whole(reports[0], &report, sizeof report)) << "the writer died at " << step;
    if (!reader) {
      reader = std::make_unique<KeyValueStore>(reader_options(dir.path()));
    } else {
      reader->refresh();
    }
    ASSERT_EQ(reader->get_all_keys().size(), report.keys)
        << "step " << step << " (" << report.operation << ")";
    ASSERT_EQ(state_digest(*reader), report.digest)
        << "step " << step << " (" << report.operation << ")";
    operations.insert(report.operation);
    char go = 1;
    ASSERT_EQ(::write(acks[1], &go, 1), 1);
  }
  int status = 0;
  ::waitpid(writer, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  // The seed must have exercised every kind of step.
  for (const char* op : {"set", "remove", "batch_set", "compact", "backup", "restore", "flushdb",
                         "reopen", "set_other_ns"}) {
    EXPECT_TRUE(operations.count(op)) << op << " never ran";
  }
}

// The writer runs free (no lockstep), committing transactions that each set k<i>, delete
// k<i-10> and set counter = i, and compacting now and then; every state a refresh shows must
// be one the writer had at some instant: counter n and exactly k<n-9> .. k<n>.
TEST(ReadOnly, EveryRefreshShowsAWholeStateOfAWriterThatKeepsGoing) {
  TempDir dir;
  constexpr int kCommits = 6000;
  auto value_of = [](int i) {
    return std::string(static_cast<std::size_t>(300 + i % 700), 'v') + std::to_string(i);
  };
  Options options = writer_options(dir.path());
  KeyValueStore(options).set("counter", "0");
  pid_t writer = ::fork();
  if (writer == 0) {
    try {
      KeyValueStore store(options);
      for (int i = 1; i <= kCommits; ++i) {
        store.run_transaction([&](Transaction& tx) {
          tx.set("k" + std::to_string(i), value_of(i));
          if (i > 10) tx.remove("k" + std::to_string(i - 10));
          tx.set("counter", std::to_string(i));
        });
        if (i % 400 == 0) store.compact_storage();
      }
      ::_exit(0);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "writer failed: %s\n", e.what());
      ::_exit(2);
    }
  }
  KeyValueStore reader(reader_options(dir.path()));
  int refreshes = 0, last = -1;
  bool writer_done = false;
  int status = 0;
  while (true) {
    if (!writer_done && ::waitpid(writer, &status, WNOHANG) == writer) writer_done = true;
    reader.refresh();
    ++refreshes;
    int n = std::stoi(reader.get("counter").value());
    ASSERT_GE(n, last) << "a refresh went back in time";
    last = n;
    std::set<std::string> expected{"counter"};
    for (int i = std::max(1, n - 9); i <= n; ++i) {
      expected.insert("k" + std::to_string(i));
      ASSERT_EQ(reader.get("k" + std::to_string(i)), value_of(i)) << "counter " << n;
    }
    auto keys = reader.get_all_keys();
    ASSERT_EQ(std::set<std::string>(keys.begin(), keys.end()), expected) << "counter " << n;
    if (writer_done && n == kCommits) break;
    ASSERT_FALSE(writer_done && refreshes > 100000) << "the writer ended at " << n;
  }
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_GT(refreshes, 2);
}

// Runs a writer's action in the middle of a refresh: just before the refreshing thread's
// `trigger`-th open of a segment or hint file, or listing of a folder.
class MidRefreshAction final : public util::FileSystemHooks {
 public:
  MidRefreshAction() { util::install_file_system_hooks(this); }
  ~MidRefreshAction() override { util::install_file_system_hooks(nullptr); }

  void arm(int trigger, std::function<void()> action) {
    trigger_ = trigger;
    seen_ = 0;
    fired_ = false;
    action_ = std::move(action);
    thread_ = std::this_thread::get_id();
  }
  void disarm() { action_ = nullptr; }
  bool fired() const { return fired_; }

  int before(const util::FileEvent& event) override {
    if (!action_ || running_ || std::this_thread::get_id() != thread_) return 0;
    bool listing = event.op == util::FileOp::ListDirectory;
    bool read_open = event.op == util::FileOp::Open && (event.flags & O_ACCMODE) == O_RDONLY &&
                     (event.path.ends_with(".seg") || event.path.ends_with(".hint"));
    if ((!listing && !read_open) || ++seen_ != trigger_) return 0;
    running_ = true;
    action_();
    running_ = false;
    fired_ = true;
    action_ = nullptr;
    return 0;
  }

 private:
  int trigger_ = 0, seen_ = 0;
  bool fired_ = false, running_ = false;
  std::function<void()> action_;
  std::thread::id thread_;
};

// A refresh that meets a compaction, a restore or a reopen at any point of its load ends with
// the state before or after it, whole; the next refresh shows the state after it.
TEST(ReadOnly, ARefreshThatMeetsACompactionOrARestoreMidwayEndsWithAWholeState) {
  TempDir dir;
  auto writer = std::make_unique<KeyValueStore>(writer_options(dir.path()));
  std::mt19937_64 rng(7);
  auto write_some = [&] {
    for (int i = 0; i < 40; ++i) {
      std::string key = "key-" + std::to_string(rng() % 60);
      if (rng() % 4 == 0) {
        writer->remove(key);
      } else {
        std::string value = noise(rng, 1500 + rng() % 1000);  // many segments
        writer->set(key, value,
                    rng() % 2 ? std::vector<std::string>{"red"} : std::vector<std::string>{});
      }
    }
    writer->flush();
  };
  write_some();
  writer->create_backup("base");
  KeyValueStore reader(reader_options(dir.path()));
  MidRefreshAction hooks;
  const std::vector<std::pair<std::string, std::function<void()>>> actions = {
      {"compact", [&] { writer->compact_storage(); }},
      {"restore", [&] { writer->restore_backup("base", true, true); }},
      {"merge", [&] { writer->restore_backup("base", true, false); }},
      {"reopen",
       [&] {
         writer.reset();
         writer = std::make_unique<KeyValueStore>(writer_options(dir.path()));
       }},
  };
  int fired = 0;
  for (const auto& [name, action] : actions) {
    for (int trigger = 1; trigger <= 14; ++trigger) {
      write_some();
      std::uint64_t before = state_digest(*writer);
      hooks.arm(trigger, action);
      reader.refresh();
      fired += hooks.fired() ? 1 : 0;
      hooks.disarm();
      std::uint64_t after = state_digest(*writer);
      std::uint64_t seen = state_digest(reader);
      ASSERT_TRUE(seen == before || seen == after) << name << " at file " << trigger;
      reader.refresh();
      ASSERT_EQ(state_digest(reader), after) << name << " at file " << trigger;
    }
  }
  EXPECT_GT(fired, 30);
}

// A compaction whose writer died after committing (OBSOLETE written) but before deleting what
// it replaced: readers leave the replaced segments out at once (they used to retry until they
// gave up, ten seconds later, as if the folder kept changing).
TEST(ReadOnly, AnInterruptedCompactionsMarkerDoesNotHoldReadersUp) {
  TempDir dir;
  std::mt19937_64 rng(3);
  std::uint64_t digest = 0;
  {
    // Every segment keeps live keys, so background compaction (only of wholly dead segments
    // here) never runs: the explicit one is the compaction that dies.
    Options options = writer_options(dir.path());
    options.compaction_dead_ratio = 1.0;
    KeyValueStore writer(options);
    for (int i = 0; i < 100; ++i)
      writer.set("key-" + std::to_string(i % 70), noise(rng, 900), {i % 2 ? "red" : "blue"});
    digest = state_digest(writer);
    struct SegmentsCannotBeDeleted final : util::FileSystemHooks {
      SegmentsCannotBeDeleted() { util::install_file_system_hooks(this); }
      ~SegmentsCannotBeDeleted() override { util::install_file_system_hooks(nullptr); }
      int before(const util::FileEvent& e) override {
        bool ours = std::this_thread::get_id() == owner;
        return ours && e.op == util::FileOp::Remove && e.path.ends_with(".seg") ? EIO : 0;
      }
      const std::thread::id owner = std::this_thread::get_id();
    } hooks;
    EXPECT_THROW(writer.compact_storage(), IOError);
  }
  ASSERT_TRUE(std::filesystem::exists(dir.sub("app/OBSOLETE")));
  auto started = std::chrono::steady_clock::now();
  KeyValueStore reader(reader_options(dir.path()));
  EXPECT_LT(std::chrono::steady_clock::now() - started, 2s);
  EXPECT_EQ(state_digest(reader), digest);
  { KeyValueStore writer(writer_options(dir.path())); }  // the next open finishes the marker
  ASSERT_FALSE(std::filesystem::exists(dir.sub("app/OBSOLETE")));
  reader.refresh();
  EXPECT_EQ(state_digest(reader), digest);
}

// Only the active segment may end in a record still being written; a sealed segment cut short
// is damage, Corruption as it is to the writer (a reader took it for a torn tail and answered
// "not found" for the keys it lost).
TEST(ReadOnly, ASealedSegmentCutShortIsCorruption) {
  // How a segment is cut, and whether the newest segment is then an empty one being created
  // (which makes every older segment a sealed one, even without its hint).
  struct Cut {
    std::uint64_t size;
    bool drop_hint;
    bool empty_newest;
  };
  for (Cut cut :
       {Cut{40, false, false}, Cut{10, false, false}, Cut{0, false, false}, Cut{40, true, true}}) {
    SCOPED_TRACE("cut to " + std::to_string(cut.size) + (cut.drop_hint ? ", hint dropped" : "") +
                 (cut.empty_newest ? ", an empty newest segment" : ""));
    TempDir dir;
    std::mt19937_64 rng(4);
    std::uint32_t newest = 0;
    {
      KeyValueStore writer(writer_options(dir.path()));
      for (int i = 0; i < 120; ++i)
        writer.set("key-" + std::to_string(i), noise(rng, 1500));
    }
    for (const auto& e : std::filesystem::directory_iterator(dir.sub("app")))
      if (e.path().extension() == ".seg")
        newest = std::max<std::uint32_t>(newest, std::stoul(e.path().stem().string()));
    ASSERT_GT(newest, 2u);
    ASSERT_TRUE(std::filesystem::exists(dir.sub("app/00000001.hint")));
    std::filesystem::resize_file(dir.sub("app/00000001.seg"), cut.size);
    if (cut.drop_hint) std::filesystem::remove(dir.sub("app/00000001.hint"));
    if (cut.empty_newest) {
      char name[32];
      std::snprintf(name, sizeof name, "app/%08u.seg", newest + 1);
      std::ofstream(dir.sub(name)).flush();
    }
    EXPECT_THROW(KeyValueStore{reader_options(dir.path())}, Corruption);
    EXPECT_THROW(KeyValueStore{writer_options(dir.path())}, Corruption);
  }
}

TEST(ReadOnly, OpeningAMissingDbIsNotFoundAndCreatesNothing) {
  TempDir dir;
  Options options = reader_options(dir.sub("no-such-folder"));
  EXPECT_THROW(KeyValueStore{options}, NotFound);
  EXPECT_FALSE(std::filesystem::exists(dir.sub("no-such-folder")));
  options.data_folder = dir.path();
  EXPECT_THROW(KeyValueStore{options}, NotFound);
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
}

TEST(ReadOnly, EveryWriteIsNotSupportedAndLeavesNoFileBehind) {
  TempDir dir;
  {
    KeyValueStore writer(writer_options(dir.path()));
    writer.set("a", "1", {"red"});
    writer.set("word", "not a number");
    writer.create_backup("first");
  }
  auto listing = [&] {
    std::set<std::string> names;
    for (const auto& e : std::filesystem::recursive_directory_iterator(dir.path()))
      names.insert(e.path().string() + ":" +
                   std::to_string(e.is_regular_file() ? e.file_size() : 0));
    return names;
  };
  auto before = listing();
  KeyValueStore reader(reader_options(dir.path()));
  KeyValueStore target(writer_options(dir.sub("target")));
  EXPECT_THROW(reader.set("b", "2"), NotSupported);
  EXPECT_THROW(reader.remove("a"), NotSupported);
  EXPECT_THROW(reader.batch_set({BatchItem{"b", "2", {}, std::nullopt}}), NotSupported);
  EXPECT_THROW(reader.expire("a", 10s), NotSupported);
  EXPECT_THROW(reader.increment("n"), NotSupported);
  // Writes that would change nothing are refused all the same, before anything is looked at.
  EXPECT_THROW(reader.increment("word"), NotSupported);
  EXPECT_THROW(reader.persist("a"), NotSupported);
  EXPECT_THROW(reader.persist("missing"), NotSupported);
  EXPECT_THROW(reader.batch_set({}), NotSupported);
  EXPECT_THROW(reader.batch_remove({}), NotSupported);
  EXPECT_THROW(reader.set_if_absent("a", "2"), NotSupported);
  EXPECT_THROW(reader.compare_and_set("a", 1, "2"), NotSupported);
  EXPECT_THROW(reader.flushdb(), NotSupported);
  EXPECT_THROW(reader.cleanup_expired(), NotSupported);
  EXPECT_THROW(reader.compact_storage(), NotSupported);
  EXPECT_THROW(reader.transaction(), NotSupported);
  EXPECT_THROW(reader.create_backup(), NotSupported);
  EXPECT_THROW(reader.restore_backup("first"), NotSupported);
  EXPECT_THROW(reader.delete_backup("first"), NotSupported);
  EXPECT_THROW(reader.cleanup_old_backups(0, 0), NotSupported);
  EXPECT_THROW(reader.import_jsonl(dir.sub("none.jsonl")), NotSupported);
  EXPECT_THROW(target.sync_to(reader), NotSupported);
  // What a read-only view offers.
  EXPECT_EQ(reader.get("a"), "1");
  EXPECT_EQ(reader.query_by_tags({"red"}), std::vector<std::string>{"a"});
  EXPECT_EQ(reader.get_stats().key_count, 2u);
  EXPECT_EQ(reader.list_backups().size(), 1u);
  EXPECT_TRUE(reader.verify_backup("first"));
  reader.flush();
  reader.refresh();
  EXPECT_EQ(reader.export_jsonl(dir.sub("target/out.jsonl")).keys, 2u);
  EXPECT_EQ(reader.sync_to(target).copied, 2u);
  reader.close();
  std::filesystem::remove_all(dir.sub("target"));
  EXPECT_EQ(listing(), before);
}

TEST(ReadOnly, IsForTheFsBackendOnly) {
  Options options;
  options.backend = "memory";
  options.read_only = true;
  EXPECT_THROW(KeyValueStore{options}, NotSupported);
}

}  // namespace
}  // namespace nadb::testing
