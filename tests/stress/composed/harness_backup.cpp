// The composed test's backup operations: full and incremental backups remember the db's
// model; restores (replace or merge) of any earlier backup must give exactly that model back.
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

void Harness::op_restore(Db& db, bool replace) {
  std::vector<const Backup*> known;
  for (const auto& b : db.backups) {
    if (b.known) known.push_back(&b);
  }
  if (known.empty()) return op_backup(db, false);
  const Backup& backup = *known[pick(rng_, known.size())];
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
