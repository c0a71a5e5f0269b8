// Not a test file: the harness the composed test drives. Every disagreement with the model ends
// in Harness::fail, which throws Mismatch; composed_test.cpp turns it into FAIL().
#include "stress/composed/harness.hpp"

#include <algorithm>
#include <filesystem>
#include <set>
#include <sstream>
#include <string_view>
#include <thread>

#include "support/temp_dir.hpp"

namespace nadb::testing::composed {
namespace {

// Names of the second and third db: each is something the store once used for itself (a
// restore work folder, the backup folder). A name the store reserves is refused at open.
const std::vector<std::string> kSiblingDbs = {".x.restore-1", "backups"};

using Op = std::function<void()>;

}  // namespace

Harness::Harness(Config config) : config_(std::move(config)), rng_(config_.seed) {
  {
    TempDir probe;
    auto backend = config_.backend.open(probe.path());
    BackendFacets facets = backend->facets();
    physical_files_ = facets.physical_files != nullptr;
    logical_backups_ = facets.change_log != nullptr && facets.staging_area != nullptr;
    persistent_ = backend->capabilities().persistent;
  }
  keys_ = make_keys(rng_, 20);
  tags_ = make_tags(rng_, 8);
  if (std::find(config_.skip.begin(), config_.skip.end(), "braces") != config_.skip.end()) {
    keys_ = without_braces(keys_);
    tags_ = without_braces(tags_);
  }
  std::filesystem::create_directories(config_.folder + "/exports");
  for (const std::string& name : std::vector<std::string>{"x", kSiblingDbs[0], kSiblingDbs[1]}) {
    auto db = std::make_unique<Db>();
    db->name = name;
    try {
      open(*db);
    } catch (const InvalidArgument& e) {
      // A reserved name must be refused as such, and only such a name.
      if (name == "x" || std::string(e.what()).find("reserved") == std::string::npos) throw;
      trace("db '" + name + "' refused: " + e.what());
      continue;
    }
    dbs_.push_back(std::move(db));
  }
}

Harness::~Harness() {
  for (auto& db : dbs_) {
    try {
      close(*db);
      db->keeper.reset();
    } catch (...) {
    }
  }
}

std::size_t Harness::dictionaries() const {
  std::size_t count = 0;
  for (const auto& db : dbs_) {
    auto backend = config_.backend.open(config_.folder, db->name);
    count += backend->scan(kDictionaryNamespace, "dictionary:", "", 100000, 0).keys.size();
  }
  return count;
}

Options Harness::options_of(const std::string& db, const std::string& ns) const {
  Options o = config_.backend.options(config_.folder, db, ns);
  if (config_.max_request != 0) o.redis.max_request_bytes = config_.max_request;
  o.max_segment_size_mb = 0.0625;  // rolls, hints and compactions all through the run
  o.compaction_dead_ratio = 0.3;
  // Dictionaries trained within a session: the text values (a fifth, 1-9 KiB) that follow are
  // compressed with them, and every copy, restore and sync carries them.
  o.dictionary_training_bytes = 64 << 10;
  // fs: the keydir past its smallest bound maps a new image at checkpoints that do not wait
  // for pauses, beside every other op.
  o.keydir_memory_bytes = 64 << 10;
  return o;
}

void Harness::open(Db& db) {
  if (!persistent_ && !db.keeper)  // keeps the data across reopens
    db.keeper = std::make_unique<KeyValueStore>(options_of(db.name, "keeper"));
  for (const auto& ns : namespaces_)
    db.stores[ns] = std::make_unique<KeyValueStore>(options_of(db.name, ns));
}

void Harness::close(Db& db) {
  db.stores.clear();
}

void Harness::trace(const std::string& line) {
  trace_.push_back("step " + std::to_string(steps_) + ": " + line);
  if (trace_.size() > 40) trace_.pop_front();
}

void Harness::fail(const std::string& what) {
  std::ostringstream out;
  out << what << "\n(backend " << config_.backend.name << ", NADB_STRESS_SEED=" << config_.seed
      << ", step " << steps_ << " after "
      << std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                               started_)
             .count()
      << " ms; the last steps:)\n";
  for (const auto& line : trace_)
    out << "  " << line << "\n";
  throw Mismatch(out.str());
}

void Harness::run() {
  auto until = std::chrono::steady_clock::now() + config_.duration;
  while (std::chrono::steady_clock::now() < until &&
         (config_.steps == 0 || steps_ < config_.steps)) {
    ++steps_;
    try {
      step();
      for (auto& db : dbs_)
        check(*db);
    } catch (const std::exception& e) {
      std::string what = dynamic_cast<const Mismatch*>(&e)
                             ? e.what()
                             : std::string("unexpected exception: ") + e.what();
      try {
        if (what.find("NADB_STRESS_SEED") != std::string::npos) throw Mismatch(what);
        fail(what);
      } catch (const Mismatch& m) {
        if (!config_.keep_going) throw;
        findings_.push_back(m.what());
        resync();
      }
    }
  }
  if (!findings_.empty()) throw Mismatch(std::to_string(findings_.size()) + " disagreements");
}

std::optional<std::chrono::seconds> Harness::random_ttl() {
  unsigned roll = static_cast<unsigned>(pick(rng_, 100));
  if (roll < 75) return std::nullopt;
  if (roll < 90) return std::chrono::seconds(1 + pick(rng_, 2));  // expires during the run
  return std::chrono::seconds(3600);
}

Item Harness::random_item(std::optional<std::chrono::seconds>& ttl) {
  Item item;
  item.value = make_value(rng_, config_.max_value, ++serial_);
  item.tags = pick_tags(rng_, tags_);
  ttl = random_ttl();
  return item;
}

bool Harness::fits(std::size_t& bytes, const std::string& key, const Item& item) const {
  std::size_t size = 3 * key.size() + item.value->size() + 256;
  for (const auto& t : item.tags)
    size += 2 * t.size();
  if (config_.max_request != 0 && bytes + size > config_.max_request * 3 / 4) return false;
  bytes += size;
  return true;
}

const std::string& Harness::pick_key() {
  if (!recent_keys_.empty() && chance(rng_, 0.4))
    return recent_keys_[pick(rng_, recent_keys_.size())];
  return keys_[pick(rng_, keys_.size())];
}

std::optional<Window> Harness::created_after_write(Db& db, const std::string& ns,
                                                   const std::string& key, Window w) const {
  if (db.model.certainly_absent(ns, key, w)) return w;
  if (!db.model.certain_live(ns, key, w)) return std::nullopt;
  auto known = created_.find({&db, ns, key});
  return known == created_.end() ? std::nullopt : std::optional(known->second);
}

void Harness::learn(Db& db, const std::string& ns, const std::string& key, Window w,
                    std::optional<std::chrono::seconds> ttl, std::optional<Window> created) {
  KeyModel c = db.model.candidates(ns, key);
  if (c.size() != 1 || !c[0]) fail("learn: the model does not know what " + key + " holds");
  Item& item = *c[0];
  auto meta = store(db, ns).get_metadata(key);
  if (!meta) fail("key " + VersionRegistry::printable(key) + " is missing right after its write");
  if (meta->tags != item.tags) fail("key " + VersionRegistry::printable(key) + " has other tags");
  Millis expires = meta->expires_at ? meta->expires_at->time_since_epoch().count() : 0;
  if (ttl) {
    Millis ms = std::chrono::duration_cast<std::chrono::milliseconds>(*ttl).count();
    if (expires < w.start + ms || expires > w.end + ms)
      fail("key " + VersionRegistry::printable(key) + " expires at " + std::to_string(expires) +
           ", outside [" + std::to_string(w.start + ms) + ", " + std::to_string(w.end + ms) + "]");
  } else if (expires != item.expires_ms) {
    fail("key " + VersionRegistry::printable(key) + " expires at " + std::to_string(expires) +
         ", the model says " + std::to_string(item.expires_ms));
  }
  Millis created_ms = meta->created_at.time_since_epoch().count();
  if (created && (created_ms < created->start || created_ms > created->end))
    fail("key " + VersionRegistry::printable(key) + " was created at " +
         std::to_string(created_ms) + ", outside [" + std::to_string(created->start) + ", " +
         std::to_string(created->end) + "]");
  created_[{&db, ns, key}] = Window{created_ms, created_ms};
  item.expires_ms = expires;
  item.version = meta->version;
  db.versions.observe_new(version_space(ns, key), key, item);
  db.model.set(ns, key, item);
  remembered_.push_back({&db, ns, key, item.version});
  recent_keys_.push_back(key);
  if (recent_keys_.size() > 4) recent_keys_.pop_front();
  if (remembered_.size() > 200) remembered_.erase(remembered_.begin() + pick(rng_, 100));
}

// Operations after which every key the model knows to be live still has the creation time it
// had: the others (restores, imports, syncs, crashes) make step() forget them.
static bool keeps_creation_times(std::string_view op) {
  static const std::set<std::string_view> kKeep = {"set",
                                                   "remove",
                                                   "expire",
                                                   "batch_set",
                                                   "text_burst",
                                                   "batch_remove",
                                                   "transaction",
                                                   "compare_and_set",
                                                   "set_if_absent",
                                                   "flushdb",
                                                   "cleanup_expired",
                                                   "wait_for_expiry",
                                                   "flush",
                                                   "compact",
                                                   "reopen",
                                                   "read_only_view",
                                                   "backup",
                                                   "incremental_backup",
                                                   "delete_backup",
                                                   "verify_backups",
                                                   "export",
                                                   "move_slot"};
  return kKeep.count(op) > 0;
}

void Harness::step() {
  // Operations come in streaks, so that compositions like "delete, compact, reopen" or
  // "restore, write, incremental backup" happen often: after maintenance the next step is
  // maintenance again half the time, after a removal too, on the same db.
  enum Kind { Write, Removal, Maintenance };
  Db& db = streak_ ? *last_db_ : *dbs_[chance(rng_, 0.7) ? 0 : pick(rng_, dbs_.size())];
  const std::string& ns = namespaces_[pick(rng_, namespaces_.size())];
  const bool backups = has_backups();
  const std::vector<std::tuple<const char*, int, Kind, Op>> ops = {
      {"set", 30, Write, [&] { op_set(db, ns); }},
      {"text_burst", 1, Write, [&] { op_text_burst(db, ns); }},
      {"remove", 8, Removal, [&] { op_remove(db, ns); }},
      {"expire", 4, Write, [&] { op_expire(db, ns); }},
      {"batch_set", 4, Write, [&] { op_batch_set(db, ns); }},
      {"batch_remove", 3, Removal, [&] { op_batch_remove(db, ns); }},
      {"transaction", 5, Removal, [&] { op_transaction(db, ns); }},
      {"compare_and_set", 6, Write, [&] { op_compare_and_set(db, ns); }},
      {"set_if_absent", 2, Write, [&] { op_set_if_absent(db, ns); }},
      {"flushdb", 1, Removal, [&] { op_flushdb(db, ns); }},
      {"cleanup_expired", 2, Maintenance, [&] { op_cleanup_expired(db, ns); }},
      {"wait_for_expiry", 1, Maintenance, [&] { op_wait_for_expiry(); }},
      {"flush", 2, Maintenance, [&] { store(db, ns).flush(); }},
      {"compact", 2, Maintenance, [&] { store(db, ns).compact_storage(); }},
      {"reopen", 3, Maintenance, [&] { op_reopen(db); }},
      {"crash", physical() ? 1 : 0, Maintenance, [&] { op_crash(db); }},
      {"crash_image", physical() ? 1 : 0, Maintenance, [&] { op_crash_in_image_write(db, false); }},
      {"crash_checkpoint", physical() ? 1 : 0, Maintenance,
       [&] { op_crash_in_image_write(db, true); }},
      {"read_only_view", physical() ? 2 : 0, Maintenance, [&] { op_read_only_view(db); }},
      {"backup", backups ? 3 : 0, Maintenance, [&] { op_backup(db, false); }},
      {"incremental_backup", backups ? 3 : 0, Maintenance, [&] { op_backup(db, true); }},
      {"restore_replace", backups ? 3 : 0, Maintenance, [&] { op_restore(db, true); }},
      {"restore_merge", backups ? 2 : 0, Maintenance, [&] { op_restore(db, false); }},
      {"restore_killed", backups ? 1 : 0, Maintenance, [&] { op_killed_restore(db); }},
      {"delete_backup", backups ? 1 : 0, Maintenance, [&] { op_delete_backup(db); }},
      {"verify_backups", backups ? 1 : 0, Maintenance, [&] { op_verify_backups(db); }},
      {"export", 2, Maintenance, [&] { op_export(db, ns); }},
      {"import", 2, Write, [&] { op_import(db, ns); }},
      {"import_extreme", 1, Write, [&] { op_import_extreme(db, ns); }},
      {"sync", 2, Write, [&] { op_sync(db, ns); }},
      {"move_slot", cluster() ? 2 : 0, Maintenance, [&] { op_move_slot(db, ns); }},
  };
  auto eligible = [&](const auto& op) {
    return (!streak_ || std::get<2>(op) == Maintenance) &&
           std::find(config_.skip.begin(), config_.skip.end(), std::get<0>(op)) ==
               config_.skip.end();
  };
  int total = 0;
  for (const auto& op : ops) {
    if (eligible(op)) total += std::get<1>(op);
  }
  int roll = static_cast<int>(pick(rng_, static_cast<std::size_t>(std::max(total, 1))));
  for (const auto& op : ops) {
    if (!eligible(op)) continue;
    const auto& [name, weight, kind, fn] = op;
    if (roll >= weight) {
      roll -= weight;
      continue;
    }
    trace(std::string(name) + " db=" + db.name + " ns=" + ns);
    if (!keeps_creation_times(name)) created_.clear();
    ++counts_[name];
    last_db_ = &db;
    for (auto& d : dbs_)
      d->versions.begin_operation();
    streak_ = chance(rng_, kind == Write ? 0 : 0.5);
    fn();
    return;
  }
  streak_ = false;
}

void Harness::op_set(Db& db, const std::string& ns) {
  std::optional<std::chrono::seconds> ttl;
  Item item = random_item(ttl);
  set_item(db, ns, pick_key(), item, ttl);
}

// 16 text values of ~4 KiB in a row: 64 KiB of samples, so the store trains its namespace's
// compression dictionary (Options::dictionary_training_bytes in options_of) unless it has one,
// and the steps after meet values compressed with it.
void Harness::op_text_burst(Db& db, const std::string& ns) {
  for (int i = 0; i < 16; ++i) {
    std::optional<std::chrono::seconds> ttl = random_ttl();
    Item item;
    auto value = std::make_shared<std::string>("v" + std::to_string(++serial_) + ":");
    append_text(*value, 4096 + pick(rng_, 1024), serial_);
    item.value = std::move(value);
    item.tags = pick_tags(rng_, tags_);
    set_item(db, ns, pick_key(), item, ttl);
  }
  auto backend = config_.backend.open(config_.folder, db.name);
  auto trained = backend->get(kDictionaryNamespace, "namespace:" + ns, wall_ms(), false);
  if (!trained) fail("64 KiB of text values in a row trained no compression dictionary");
}

void Harness::set_item(Db& db, const std::string& ns, const std::string& key, const Item& item,
                       std::optional<std::chrono::seconds> ttl) {
  trace("  set " + VersionRegistry::printable(key) + " (" + std::to_string(item.value->size()) +
        " bytes, ttl " + (ttl ? std::to_string(ttl->count()) : "none") + ")");
  Window w{wall_ms(), 0};
  store(db, ns).set(key, *item.value, SetOptions{item.tags, ttl});
  w.end = wall_ms();
  auto created = created_after_write(db, ns, key, w);
  db.model.set(ns, key, item);
  learn(db, ns, key, w, ttl, created);
}

void Harness::op_remove(Db& db, const std::string& ns) {
  const std::string& key = pick_key();
  trace("  remove " + VersionRegistry::printable(key));
  Window w{wall_ms(), 0};
  bool existed = store(db, ns).remove(key);
  w.end = wall_ms();
  if (db.model.certain_live(ns, key, w) && !existed) fail("remove said a live key was missing");
  if (db.model.certainly_absent(ns, key, w) && existed) fail("remove found an absent key");
  db.model.erase(ns, key);
}

void Harness::op_expire(Db& db, const std::string& ns) {
  const std::string& key = pick_key();
  bool persist = chance(rng_, 0.4);
  auto ttl = std::chrono::seconds(1 + pick(rng_, 3));
  trace(std::string("  ") + (persist ? "persist " : "expire ") + VersionRegistry::printable(key));
  Window w{wall_ms(), 0};
  const Item* before = db.model.certain_live(ns, key, {w.start, w.start + 500});
  bool absent = db.model.certainly_absent(ns, key, {w.start, w.start + 500});
  if (!before && !absent) return;  // near its expiry: the outcome is not predictable
  Item item = before ? *before : Item{};
  bool changed = persist ? store(db, ns).persist(key) : store(db, ns).expire(key, ttl);
  w.end = wall_ms();
  bool expected = before && (!persist || item.expires_ms != 0);
  if (changed != expected)
    fail(std::string(persist ? "persist" : "expire") + " returned " + (changed ? "true" : "false"));
  if (!changed) return;
  auto created = created_after_write(db, ns, key, w);
  item.expires_ms = 0;
  db.model.set(ns, key, item);
  learn(db, ns, key, w, persist ? std::nullopt : std::optional(ttl), created);
}

void Harness::op_compare_and_set(Db& db, const std::string& ns) {
  std::vector<const Remembered*> mine;
  for (const auto& r : remembered_) {
    if (r.db == &db && r.ns == ns) mine.push_back(&r);
  }
  if (mine.empty()) return op_set(db, ns);
  const Remembered& r = *mine[pick(rng_, mine.size())];
  Window guard{wall_ms(), wall_ms() + 500};
  const Item* current = db.model.certain_live(ns, r.key, guard);
  if (!current && !db.model.certainly_absent(ns, r.key, guard)) return;  // near expiry
  bool expected = current && current->version == r.version;
  std::optional<std::chrono::seconds> ttl;
  Item item = random_item(ttl);
  trace("  compare_and_set " + VersionRegistry::printable(r.key) + " version " +
        std::to_string(r.version) +
        " (model: " + (current ? std::to_string(current->version) : std::string("absent")) + ")");
  Window w{wall_ms(), 0};
  bool done = store(db, ns).compare_and_set(r.key, r.version, *item.value, {item.tags, ttl});
  w.end = wall_ms();
  if (done != expected)
    fail("compare_and_set with version " + std::to_string(r.version) + " returned " +
         (done ? "true" : "false") + "; the model's version is " +
         (current ? std::to_string(current->version) : std::string("none (absent)")));
  if (!done) return;
  std::string key = r.key;
  auto created = created_after_write(db, ns, key, w);
  db.model.set(ns, key, item);
  learn(db, ns, key, w, ttl, created);
}

void Harness::op_set_if_absent(Db& db, const std::string& ns) {
  const std::string& key = pick_key();
  Window guard{wall_ms(), wall_ms() + 500};
  bool live = db.model.certain_live(ns, key, guard) != nullptr;
  if (!live && !db.model.certainly_absent(ns, key, guard)) return;
  std::optional<std::chrono::seconds> ttl;
  Item item = random_item(ttl);
  trace("  set_if_absent " + VersionRegistry::printable(key));
  Window w{wall_ms(), 0};
  bool done = store(db, ns).set_if_absent(key, *item.value, {item.tags, ttl});
  w.end = wall_ms();
  if (done == live) fail(std::string("set_if_absent returned ") + (done ? "true" : "false"));
  if (!done) return;
  auto created = created_after_write(db, ns, key, w);
  db.model.set(ns, key, item);
  learn(db, ns, key, w, ttl, created);
}

void Harness::op_flushdb(Db& db, const std::string& ns) {
  store(db, ns).flushdb();
  db.model.namespaces[ns].clear();
}

void Harness::op_cleanup_expired(Db& db, const std::string& ns) {
  store(db, ns).cleanup_expired();  // expired keys are invisible already: the model holds
}

void Harness::op_wait_for_expiry() {
  Millis now = wall_ms(), next = 0;
  for (const auto& db : dbs_) {
    for (const auto& [ns, keys] : db->model.namespaces) {
      for (const auto& [key, candidates] : keys) {
        for (const auto& c : candidates) {
          if (c && c->expires_ms > now && (next == 0 || c->expires_ms < next)) next = c->expires_ms;
        }
      }
    }
  }
  if (next == 0 || next - now > 2100) return;
  trace("  waiting " + std::to_string(next - now + 20) + " ms");
  std::this_thread::sleep_for(std::chrono::milliseconds(next - now + 20));
}

void Harness::op_reopen(Db& db) {
  close(db);
  open(db);
}

// A read-only view of the db, kept open since its last refresh (so that it meets every
// compaction, restore, crash and reopen since), refreshed after a flush, equals the model.
void Harness::op_read_only_view(Db& db) {
  store(db, namespaces_.front()).flush();  // one engine: every namespace's writes
  check_read_only_views(db);
}

void Harness::check_read_only_views(Db& db) {
  for (const auto& ns : namespaces_) {
    std::unique_ptr<KeyValueStore>& view = db.views[ns];
    if (view) {
      view->refresh();
    } else {
      Options o = options_of(db.name, ns);
      o.read_only = true;
      view = std::make_unique<KeyValueStore>(o);
    }
    check_namespace(db, ns, *view);
  }
}

}  // namespace nadb::testing::composed
