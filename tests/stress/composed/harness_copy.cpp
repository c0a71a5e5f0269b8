// The composed test's operations that move whole namespaces or processes: kill -9 of a writer
// and reopen (fs), kill -9 inside the keydir image write of a close or a checkpoint (fs), JSONL
// export and import (including files with extreme expiry instants), and sync_to within a backend
// and through a store of another backend.
//
// Not a test file: the harness the composed test drives. Every disagreement with the model ends
// in Harness::fail, which throws Mismatch; composed_test.cpp turns it into FAIL().

#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <limits>
#include <optional>
#include <set>
#include <thread>
#include <utility>

#include <csignal>

#include "backup/jsonl.hpp"
#include "stress/composed/harness.hpp"
#include "support/kill_child.hpp"
#include "util/file_system_hooks.hpp"

namespace nadb::testing::composed {
namespace {

// A padded item's value is 24 KiB that do not compress: a checkpoint is due after a few.
Item crash_item(std::uint32_t serial, const std::vector<std::string>& tags, bool padded = false) {
  Item item;
  std::string value = "crash " + std::to_string(serial);
  std::uint64_t state = serial;
  for (int i = 0; padded && i < 24 << 10; ++i) {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    value.push_back(static_cast<char>(state >> 56));
  }
  item.value = std::make_shared<std::string>(std::move(value));
  item.tags = {tags[serial % tags.size()]};
  return item;
}

// The keydir image's identity, to see a checkpoint replace it (zeros: none).
std::pair<ino_t, std::int64_t> image_identity(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return {0, 0};
  return {st.st_ino, st.st_mtim.tv_sec * 1'000'000'000ll + st.st_mtim.tv_nsec};
}

// Kills this process at the n-th file operation on the keydir image (KEYDIR, KEYDIR.tmp).
class KillInImageWrite final : public util::FileSystemHooks {
 public:
  explicit KillInImageWrite(int n) : left_(n) { util::install_file_system_hooks(this); }
  ~KillInImageWrite() override { util::install_file_system_hooks(nullptr); }
  int before(const util::FileEvent& event) override {
    bool image = event.path.find("KEYDIR") != std::string_view::npos ||
                 event.target.find("KEYDIR") != std::string_view::npos;
    if (image && --left_ == 0) ::kill(::getpid(), SIGKILL);
    return 0;
  }

 private:
  int left_;
};

}  // namespace

std::vector<std::unique_ptr<KeyValueStore>> Harness::open_sync_stores(const Db& db) {
  std::vector<std::unique_ptr<KeyValueStore>> stores;
  for (const auto& ns : namespaces_) {
    Options o = options_of(db.name, ns);
    o.durability = Durability::Sync;
    stores.push_back(std::make_unique<KeyValueStore>(o));
  }
  return stores;
}

void Harness::op_crash_in_image_write(Db& db, bool checkpoint) {
  // The image is written by the close, or by a checkpoint of the running stores once their
  // appends pause — which a late write may interrupt (the checkpoint gives way, then retries).
  const bool late_write = checkpoint && chance(rng_, 0.5);
  std::size_t writes = checkpoint ? 4 + pick(rng_, 8) : 1 + pick(rng_, 20);  // (per round)
  int kill_at = 1 + static_cast<int>(pick(rng_, 30));  // past the last operation: survives
  std::uint32_t first_serial = static_cast<std::uint32_t>(++serial_) * 1000;
  serial_ += 1;
  std::uint64_t child_seed = rng_();
  trace("  " + std::to_string(writes) + (checkpoint ? " writes a round" : " writes") +
        ", then kill -9 at file operation " + std::to_string(kill_at) +
        " of the keydir image write of " +
        (checkpoint ? std::string("a checkpoint") + (late_write ? ", a write meanwhile" : "")
                    : std::string("the close after a compaction")));
  close(db);
  Options options = options_of(db.name, namespaces_[0]);
  std::string image = options.data_folder + "/" + options.db + "/KEYDIR";
  auto reports = run_and_kill_when<CrashReport>(
      [&](int fd) {
        std::vector<std::unique_ptr<KeyValueStore>> stores = open_sync_stores(db);
        Rng rng(child_seed);
        auto write = [&](std::uint32_t serial) {
          CrashReport r{0, static_cast<std::uint8_t>(pick(rng, stores.size())),
                        static_cast<std::uint16_t>(pick(rng, keys_.size())),
                        chance(rng, 0.2) ? 0 : serial};
          if (::write(fd, &r, sizeof r) != sizeof r) ::_exit(9);
          if (r.serial == 0) {
            stores[r.ns]->remove(keys_[r.key]);
          } else {
            Item item = crash_item(r.serial, tags_, checkpoint);
            stores[r.ns]->set(keys_[r.key], *item.value, item.tags);
          }
          r.done = 1;
          if (::write(fd, &r, sizeof r) != sizeof r) ::_exit(9);
        };
        CrashReport done{2, 0, 0, 0};
        std::optional<KillInImageWrite> kill;  // alive until the kill: threads may be in it
        if (checkpoint) {
          // The hook first: a checkpoint may start in any pause. Rounds of writes, each
          // followed by a pause twice as long as the last (a checkpoint that gave way waits
          // for a longer pause), until the image changed; then stay until killed.
          kill.emplace(kill_at);
          auto before = image_identity(image);
          auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
          std::uint32_t serial = first_serial;
          for (auto pause = std::chrono::milliseconds(100); image_identity(image) == before;
               pause = std::min(2 * pause, std::chrono::milliseconds(6400))) {
            if (std::chrono::steady_clock::now() > deadline || serial >= first_serial + 900) {
              done.done = 3;
              break;
            }
            for (std::size_t i = 0; i < writes; ++i)
              write(serial++);
            auto end = std::chrono::steady_clock::now() + pause;
            for (int step = 0; image_identity(image) == before; ++step) {
              if (std::chrono::steady_clock::now() > end) break;
              std::this_thread::sleep_for(std::chrono::milliseconds(10));
              // Once, into the first pause: a checkpoint may be under way and must give way.
              if (late_write && step == 7 && pause.count() == 100) write(serial++);
            }
          }
        } else {
          for (std::uint32_t serial = first_serial; serial < first_serial + writes; ++serial)
            write(serial);
          // A close rewrites the image only when the log after it outgrew a share of it, or
          // it is stale: compacting makes it stale, so that this close writes one.
          stores[0]->compact_storage();
          kill.emplace(kill_at);
          stores.clear();  // the close writes the image
        }
        if (::write(fd, &done, sizeof done) != sizeof done) ::_exit(9);
        ::pause();
      },
      [](const std::vector<CrashReport>& so_far) {
        return !so_far.empty() && so_far.back().done >= 2;
      },
      std::chrono::seconds(90));
  bool finished = !reports.empty() && reports.back().done >= 2;
  if (finished && reports.back().done == 3) fail("no checkpoint within 60 s of writes and pauses");
  if (finished) reports.pop_back();
  std::size_t acknowledged = 0;  // before a close, every write is
  for (const CrashReport& r : reports)
    acknowledged += r.done;
  if (!checkpoint && acknowledged < writes) {
    fail("the child made " + std::to_string(acknowledged) + " of its " + std::to_string(writes) +
         " writes before the image was written");
  }
  learn_crash_reports(db, reports, checkpoint);
  trace(finished ? "  the image write finished" : "  killed inside the image write");
  check_read_only_views(db);
  open(db);
}

void Harness::learn_crash_reports(Db& db, const std::vector<CrashReport>& reports, bool padded) {
  std::map<std::pair<int, int>, CrashReport> in_flight;
  for (const CrashReport& r : reports) {
    const std::string& ns = namespaces_[r.ns];
    const std::string& key = keys_[r.key];
    if (!r.done) {
      in_flight[{r.ns, r.key}] = r;
      continue;
    }
    in_flight.erase({r.ns, r.key});
    if (r.serial == 0) {
      db.model.erase(ns, key);
    } else {
      db.model.set(ns, key, crash_item(r.serial, tags_, padded));
    }
  }
  for (const auto& [where, r] : in_flight) {
    KeyModel c = db.model.candidates(namespaces_[r.ns], keys_[r.key]);
    c.push_back(r.serial == 0 ? Candidate() : Candidate(crash_item(r.serial, tags_, padded)));
    db.model.set_candidates(namespaces_[r.ns], keys_[r.key], std::move(c));
  }
}

void Harness::op_crash(Db& db) {
  std::size_t acks = 1 + pick(rng_, 20);
  std::uint64_t child_seed = rng_();
  std::uint32_t first_serial = static_cast<std::uint32_t>(++serial_) * 1000;
  serial_ += 1;
  trace("  kill -9 a writer after " + std::to_string(acks) + " acknowledged writes");
  close(db);
  auto reports = run_and_kill_when<CrashReport>(
      [&](int fd) {
        std::vector<std::unique_ptr<KeyValueStore>> stores = open_sync_stores(db);
        Rng rng(child_seed);
        for (std::uint32_t serial = first_serial;; ++serial) {
          CrashReport r{0, static_cast<std::uint8_t>(pick(rng, stores.size())),
                        static_cast<std::uint16_t>(pick(rng, keys_.size())),
                        chance(rng, 0.2) ? 0 : serial};
          if (::write(fd, &r, sizeof r) != sizeof r) ::_exit(9);
          KeyValueStore& s = *stores[r.ns];
          if (chance(rng, 0.05)) s.compact_storage();  // the kill may land inside one
          if (r.serial == 0) {
            s.remove(keys_[r.key]);
          } else {
            Item item = crash_item(r.serial, tags_);
            s.set(keys_[r.key], *item.value, item.tags);
          }
          r.done = 1;
          if (::write(fd, &r, sizeof r) != sizeof r) ::_exit(9);
        }
      },
      [acks](const std::vector<CrashReport>& so_far) {
        std::size_t acknowledged = 0;
        for (const auto& r : so_far)
          acknowledged += r.done;
        return acknowledged >= acks;
      },
      std::chrono::seconds(10));
  learn_crash_reports(db, reports, false);
  trace("  the child reported " + std::to_string(reports.size()) + " events");
  // Before any writer recovers the folder: what the killed writer left (a torn tail, a
  // compaction's marker with its inputs still there) is read as it is.
  check_read_only_views(db);
  open(db);
}

void Harness::op_export(Db& db, const std::string& ns) {
  static const char* kSuffixes[] = {".jsonl", ".jsonl.gz", ".jsonl.zst"};
  std::string path = config_.folder + "/exports/e" + std::to_string(++serial_) +
                     kSuffixes[pick(rng_, std::size(kSuffixes))];
  trace("  export to " + path);
  NamespaceModel model = db.model.namespaces[ns];
  store(db, ns).export_jsonl(path);
  exports_.push_back(Export{path, ns, std::move(model)});
}

void Harness::op_import(Db& db, const std::string& ns) {
  if (exports_.empty()) return op_export(db, ns);
  const Export& e = exports_[pick(rng_, exports_.size())];
  trace("  import " + e.path);
  Window w{wall_ms(), 0};
  store(db, ns).import_jsonl(e.path);
  w.end = wall_ms();
  for (const auto& [key, candidates] : e.model)
    db.model.merge(ns, key, candidates, w);
}

// An export written by hand whose entries expire at instants no TTL can reach (up to the
// largest integer JSON carries): the import is refused whole, or taken whole, and in both
// cases every query must still work.
void Harness::op_import_extreme(Db& db, const std::string& ns) {
  static const Millis kInstants[] = {std::numeric_limits<std::int64_t>::max(), 9223372036854775000,
                                     253402300799999 * 100, wall_ms() + 200LL * 365 * 86400000,
                                     wall_ms() + 3LL * 365 * 86400000};
  std::string path = config_.folder + "/exports/x" + std::to_string(++serial_) + ".jsonl";
  std::map<std::string, Item> entries;
  for (std::size_t n = 1 + pick(rng_, 3); n > 0; --n) {
    std::optional<std::chrono::seconds> ttl;
    Item item = random_item(ttl);
    item.expires_ms = kInstants[pick(rng_, std::size(kInstants))];
    entries[pick_key()] = item;
  }
  {
    std::ofstream out(path, std::ios::binary);
    out << backup::jsonl_header(db.name + ":" + ns, config_.backend.name, entries.size(), wall_ms())
        << "\n";
    for (const auto& [key, item] : entries) {
      backup::JsonlEntry e{key, *item.value, item.tags, item.expires_ms, wall_ms(), wall_ms()};
      out << backup::jsonl_entry(ns, e) << "\n";
    }
    out << backup::jsonl_end(entries.size()) << "\n";
  }
  trace("  import of " + std::to_string(entries.size()) + " entries expiring up to year 292M");
  try {
    store(db, ns).import_jsonl(path);
  } catch (const InvalidArgument& e) {
    trace(std::string("  refused: ") + e.what());
    return;  // nothing may have changed: the next check says
  }
  for (const auto& [key, item] : entries)
    db.model.set(ns, key, item);
}

void Harness::op_sync(Db& db, const std::string& ns) {
  if (physical() && chance(rng_, 0.1)) {
    // The same namespace under another spelling of its folder: refused, nothing rewritten.
    trace("  sync onto itself through another path");
    Options same = options_of(db.name, ns);
    same.data_folder = config_.folder + "/./";
    KeyValueStore again(same);
    try {
      store(db, ns).sync_to(again);
    } catch (const InvalidArgument&) {
      return;  // the next check says whether anything changed
    }
    fail("sync_to copied a namespace onto itself");
  }
  Db& target_db = *dbs_[pick(rng_, dbs_.size())];
  std::string target_ns = namespaces_[pick(rng_, namespaces_.size())];
  if (&target_db == &db && target_ns == ns)
    target_ns = ns == namespaces_[0] ? namespaces_[1] : namespaces_[0];
  bool remove = chance(rng_, 0.5), relay = chance(rng_, 0.3);
  trace("  sync to " + target_db.name + ":" + target_ns + (remove ? " removing extras" : "") +
        (relay ? " through a memory store" : ""));
  KeyValueStore& source = store(db, ns);
  KeyValueStore& target = store(target_db, target_ns);
  Window w{wall_ms(), 0};
  if (relay) {
    Options o;
    o.backend = "memory";
    o.db = "relay";
    o.ns = "r";
    KeyValueStore middle(o);
    middle.flushdb();
    source.sync_to(middle, false);
    middle.sync_to(target, remove);
  } else {
    source.sync_to(target, remove);
  }
  w.end = wall_ms();
  // Per key: the source's candidates copied with "skip what has expired" semantics; with
  // remove, a key the source lacks (or whose entry expired before the removal pass) goes.
  NamespaceModel from = db.model.namespaces[ns];
  std::set<std::string> keys;
  for (const auto& [key, candidates] : from)
    keys.insert(key);
  if (remove) {
    for (const auto& [key, candidates] : target_db.model.namespaces[target_ns])
      keys.insert(key);
  }
  for (const auto& key : keys) {
    KeyModel copied = from.count(key) ? from.at(key) : KeyModel{std::nullopt};
    KeyModel before = target_db.model.candidates(target_ns, key), after;
    auto otherwise = [&] {
      if (remove) {
        after.push_back(std::nullopt);
      } else {
        after.insert(after.end(), before.begin(), before.end());
      }
    };
    for (const auto& s : copied) {
      if (!s || s->expired_before(w.start)) {
        otherwise();
        continue;
      }
      Item copy = *s;
      copy.version = 0;
      after.push_back(copy);
      if (!copy.live_at(w.end)) otherwise();
    }
    target_db.model.set_candidates(target_ns, key, std::move(after));
  }
}

}  // namespace nadb::testing::composed
