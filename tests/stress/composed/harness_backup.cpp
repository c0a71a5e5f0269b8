// The composed test's backup operations: full and incremental backups remember the db's
// model; restores (replace or merge) of any earlier backup must give exactly that model back;
// a replacing restore killed midway must leave each part it swaps atomically old or new.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <exception>
#include <set>
#include <thread>

#include "stress/composed/harness.hpp"

namespace nadb::testing::composed {
namespace {

// Every version of a logically restored key is new: what the model knew is forgotten.
void forget_versions(DbModel& model) {
  for (auto& [ns, keys] : model.namespaces) {
    for (auto& [key, candidates] : keys) {
      for (auto& c : candidates) {
        if (c) c->version = 0;
      }
    }
  }
}

}  // namespace

void Harness::op_backup(Db& db, bool incremental) {
  std::string id = chance(rng_, 0.2) ? "" : "b" + std::to_string(++serial_);
  std::string parent;
  if (incremental) {
    if (db.backups.empty()) return op_backup(db, false);
    parent = db.backups[pick(rng_, db.backups.size())].id;
  }
  trace("  backup " + (id.empty() ? "(generated id)" : id) +
        (incremental ? " on " + parent : std::string(" (full)")));
  KeyValueStore& s = store(db, namespaces_[pick(rng_, namespaces_.size())]);
  BackupInfo info = incremental ? s.create_incremental_backup(parent, id, chance(rng_, 0.5))
                                : s.create_backup(id, chance(rng_, 0.5));
  if (!id.empty() && info.id != id) fail("backup " + id + " was created as " + info.id);
  db.backups.push_back(Backup{info.id, parent, db.model});
}

const Harness::Backup* Harness::pick_known_backup(Db& db) {
  std::vector<const Backup*> known;
  for (const auto& b : db.backups) {
    if (b.known) known.push_back(&b);
  }
  return known.empty() ? nullptr : known[pick(rng_, known.size())];
}

void Harness::op_restore(Db& db, bool replace) {
  const Backup* known = pick_known_backup(db);
  if (!known) return op_backup(db, false);
  const Backup& backup = *known;
  // Sometimes twice at once, from the stores of both namespaces (two threads): the result is
  // the same as one restore.
  bool twice = chance(rng_, 0.2);
  trace("  restore " + backup.id + (replace ? " (replace)" : " (merge)") +
        (twice ? " twice at once" : ""));
  bool verify = chance(rng_, 0.8);
  Window w{wall_ms(), 0};
  if (twice) {
    std::exception_ptr failure;
    std::thread other([&] {
      try {
        store(db, namespaces_[1]).restore_backup(backup.id, verify, replace);
      } catch (...) {
        failure = std::current_exception();
      }
    });
    store(db, namespaces_[0]).restore_backup(backup.id, verify, replace);
    other.join();
    if (failure) std::rethrow_exception(failure);
  } else {
    store(db, namespaces_[pick(rng_, namespaces_.size())])
        .restore_backup(backup.id, verify, replace);
  }
  w.end = wall_ms();
  if (replace) {
    db.model = backup.model;
    if (!physical()) forget_versions(db.model);  // replayed: every key is written anew
    return;
  }
  for (const auto& [ns, keys] : backup.model.namespaces) {
    for (const auto& [key, candidates] : keys)
      db.model.merge(ns, key, candidates, w);
  }
}

void Harness::op_killed_restore(Db& db) {
  const Backup* known = pick_known_backup(db);
  if (!known) return op_backup(db, false);
  const Backup& backup = *known;
  auto delay = std::chrono::microseconds(pick(rng_, 40000));
  Options o = options_of(db.name, namespaces_[pick(rng_, namespaces_.size())]);
  trace("  restore " + backup.id + " (replace), killed after " + std::to_string(delay.count()) +
        " us");
  close(db);  // the child opens the db (on fs, it takes the db's lock)
  pid_t pid = ::fork();
  if (pid < 0) fail("fork failed");
  if (pid == 0) {
    try {
      KeyValueStore s(o);
      s.restore_backup(backup.id, false, true);
    } catch (...) {
    }
    ::_exit(0);
  }
  std::this_thread::sleep_for(delay);
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
  open(db);
  DbModel restored = backup.model;
  if (!physical()) forget_versions(restored);
  settle_killed_restore(db, restored);
}

std::string Harness::restore_unit(const std::string& ns, const std::string& key) const {
  if (physical()) return "the db";
  if (cluster()) return "namespace " + ns + " (" + version_space(ns, key) + ")";
  return "namespace " + ns;
}

void Harness::settle_killed_restore(Db& db, const DbModel& restored) {
  struct Unit {
    bool old_only = false, new_only = false;  // a key only the old (new) model explains
    std::vector<std::pair<std::string, std::string>> keys;
  };
  std::map<std::string, Unit> units;
  for (const auto& ns : namespaces_) {
    KeyValueStore& s = store(db, ns);
    std::set<std::string> keys;
    for (const auto& key : s.get_all_keys())
      keys.insert(key);
    for (const DbModel* model : {static_cast<const DbModel*>(&db.model), &restored}) {
      auto n = model->namespaces.find(ns);
      if (n == model->namespaces.end()) continue;
      for (const auto& entry : n->second)
        keys.insert(entry.first);
    }
    for (const auto& key : keys) {
      Window w{wall_ms(), 0};
      std::optional<Entry> actual = s.get_with_metadata(key);
      w.end = wall_ms();
      auto explains = [&](const DbModel& model) {
        KeyModel c = model.candidates(ns, key);
        return std::any_of(c.begin(), c.end(),
                           [&](const Candidate& one) { return read_matches(actual, one, w); });
      };
      bool by_old = explains(db.model), by_new = explains(restored);
      if (!by_old && !by_new) {
        fail("after a killed restore, db " + db.name + " ns " + ns + " key " +
             VersionRegistry::printable(key) + " holds neither what it held nor the backup's");
      }
      Unit& unit = units[restore_unit(ns, key)];
      unit.old_only |= by_old && !by_new;
      unit.new_only |= by_new && !by_old;
      unit.keys.emplace_back(ns, key);
    }
  }
  for (const auto& [name, unit] : units) {
    if (unit.old_only && unit.new_only)
      fail("a killed restore left " + name + " of db " + db.name + " partly old, partly restored");
    trace("  " + name + ": " + (unit.new_only ? "restored" : unit.old_only ? "old" : "either"));
    for (const auto& [ns, key] : unit.keys) {
      if (unit.new_only) {
        db.model.set_candidates(ns, key, restored.candidates(ns, key));
      } else if (!unit.old_only) {
        KeyModel either = db.model.candidates(ns, key);
        for (const auto& c : restored.candidates(ns, key))
          either.push_back(c);
        db.model.set_candidates(ns, key, std::move(either));
      }
    }
  }
}

void Harness::op_delete_backup(Db& db) {
  if (db.backups.empty()) return;
  std::string id = db.backups[pick(rng_, db.backups.size())].id;
  // Backups whose chain contains id.
  std::set<std::string> doomed{id};
  for (bool grew = true; grew;) {
    grew = false;
    for (const auto& b : db.backups) {
      if (doomed.count(b.parent) && doomed.insert(b.id).second) grew = true;
    }
  }
  bool force = chance(rng_, 0.5);
  trace("  delete backup " + id + (force ? " (force)" : "") + ", " +
        std::to_string(doomed.size() - 1) + " depend on it");
  bool deleted = store(db, namespaces_[0]).delete_backup(id, force);
  bool expected = force || doomed.size() == 1;
  if (deleted != expected) fail("delete_backup returned " + std::to_string(deleted));
  if (!deleted) return;
  std::erase_if(db.backups, [&](const Backup& b) { return doomed.count(b.id) > 0; });
}

void Harness::op_verify_backups(Db& db) {
  for (const auto& b : db.backups) {
    VerifyReport report = store(db, namespaces_[0]).verify_backup_report(b.id);
    if (!report.ok)
      fail("backup " + b.id +
           " fails verification: " + (report.problems.empty() ? "?" : report.problems.front()));
  }
}

void Harness::check_backup_list(Db& db) {
  if (!has_backups()) return;
  std::set<std::string> listed, expected;
  for (const auto& info : store(db, namespaces_[0]).list_backups())
    listed.insert(info.id);
  for (const auto& b : db.backups)
    expected.insert(b.id);
  if (listed != expected) {
    std::string text = "db " + db.name + " lists backups {";
    for (const auto& id : listed)
      text += " " + id;
    text += " }, the model has {";
    for (const auto& id : expected)
      text += " " + id;
    fail(text + " }");
  }
}

}  // namespace nadb::testing::composed
