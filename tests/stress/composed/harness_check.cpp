// The composed test's checks, after every step: every namespace's keys (scan) and their
// count, each key's value, tags, expiry and version (against the model and every version seen
// before), tag queries (AND, OR, NOT), and the list of backups.
//
// Not a test file: the harness the composed test drives. Every disagreement with the model ends
// in Harness::fail, which throws Mismatch; composed_test.cpp turns it into FAIL().

#include <algorithm>
#include <filesystem>
#include <set>

#include "stress/composed/harness.hpp"

namespace nadb::testing::composed {
namespace {

Millis expiry_of(const Entry& e) {
  return e.metadata.expires_at ? e.metadata.expires_at->time_since_epoch().count() : 0;
}

bool has_tag(const Item& item, const std::string& tag) {
  return std::binary_search(item.tags.begin(), item.tags.end(), tag);
}

std::string describe(const std::string& key, const std::optional<Entry>& actual,
                     const KeyModel& candidates) {
  std::string out = "key " + VersionRegistry::printable(key) + " holds ";
  out += actual ? VersionRegistry::printable(actual->value) + " (version " +
                      std::to_string(actual->metadata.version) + ", " +
                      std::to_string(actual->metadata.tags.size()) + " tags, expires " +
                      std::to_string(expiry_of(*actual)) + ")"
                : std::string("nothing");
  out += "; the model allows:";
  for (const auto& c : candidates) {
    out += c ? " [" + VersionRegistry::printable(*c->value) + " version " +
                   std::to_string(c->version) + ", " + std::to_string(c->tags.size()) +
                   " tags, expires " + std::to_string(c->expires_ms) + "]"
             : std::string(" [absent]");
  }
  return out;
}

}  // namespace

bool read_matches(const std::optional<Entry>& actual, const Candidate& c, Window w) {
  if (!actual) return !c || c->expired_before(w.end);
  return c && !c->expired_before(w.start) && *c->value == actual->value &&
         c->tags == actual->metadata.tags && c->expires_ms == expiry_of(*actual) &&
         (c->version == 0 || c->version == actual->metadata.version);
}

void Harness::check(Db& db) {
  // One check in four leaves the tag index alone: an index built by every check would never
  // be met unbuilt, as an open leaves it (loaded on first use from the keydir image, with the
  // writes made since applied).
  bool with_queries = pick(rng_, 4) != 0;
  for (const auto& ns : namespaces_)
    check_namespace(db, ns, store(db, ns), with_queries);
  if (physical()) check_no_false_damage(db);
  check_backup_list(db);
}

void Harness::check_namespace(Db& db, const std::string& ns, KeyValueStore& s, bool with_queries) {
  Window scan{wall_ms(), 0};
  std::set<std::string> scanned;
  std::string cursor;
  do {
    KeyPage page = s.scan("", cursor, 7);
    scanned.insert(page.keys.begin(), page.keys.end());
    cursor = page.next_cursor;
  } while (!cursor.empty());
  scan.end = wall_ms();
  check_count(db, ns, s);
  std::set<std::string> keys = scanned;
  for (const auto& [key, candidates] : db.model.namespaces[ns]) {
    keys.insert(key);
    if (db.model.certain_live(ns, key, scan) && !scanned.count(key))
      fail("db " + db.name + " ns " + ns + ": scan misses live key " +
           VersionRegistry::printable(key));
  }
  for (const auto& key : scanned) {
    if (db.model.certainly_absent(ns, key, scan))
      fail("db " + db.name + " ns " + ns + ": scan shows absent key " +
           VersionRegistry::printable(key) + " (" +
           describe(key, std::nullopt, db.model.candidates(ns, key)) + ")");
  }
  for (const auto& key : keys) {
    Window w{wall_ms(), 0};
    std::optional<Entry> actual = s.get_with_metadata(key);
    w.end = wall_ms();
    KeyModel candidates = db.model.candidates(ns, key);
    const Candidate* match = nullptr;
    for (const auto& c : candidates) {
      if (read_matches(actual, c, w)) {
        match = &c;
        break;
      }
    }
    if (!match) fail("db " + db.name + " ns " + ns + ": " + describe(key, actual, candidates));
    if (!actual) {
      if (candidates.size() > 1) db.model.set_candidates(ns, key, {*match});
      continue;
    }
    Item item = **match;
    bool learned = item.version == 0;
    item.version = actual->metadata.version;
    db.versions.observe(version_space(ns, key), key, item);
    db.model.set(ns, key, item);
    if (learned) remembered_.push_back({&db, ns, key, item.version});
  }
  if (with_queries) check_queries(db, ns, s);
}

void Harness::check_no_false_damage(Db& db) {
  // Nothing here damages a file, so an image set aside as damaged is a false alarm (the
  // background block check once raced writers changing verified pages: it cost a rebuild
  // under the engine's locks and a logged error, never data, so no check above saw it).
  Options o = options_of(db.name, namespaces_.front());
  std::filesystem::path folder = std::filesystem::path(o.data_folder) / o.db;
  if (!std::filesystem::exists(folder)) return;
  for (const auto& entry : std::filesystem::directory_iterator(folder)) {
    std::string name = entry.path().filename().string();
    if (name.ends_with(".damaged"))
      fail("db " + db.name + ": " + name + " was set aside as damaged, yet nothing damaged it");
  }
}

void Harness::check_count(Db& db, const std::string& ns, KeyValueStore& s) {
  Window w{wall_ms(), 0};
  std::size_t counted = s.count();
  w.end = wall_ms();
  std::size_t certain = 0, possible = 0;
  for (const auto& [key, candidates] : db.model.namespaces[ns]) {
    certain += db.model.certain_live(ns, key, w) ? 1 : 0;
    possible += db.model.certainly_absent(ns, key, w) ? 0 : 1;
  }
  if (counted < certain || counted > possible)
    fail("db " + db.name + " ns " + ns + ": count() is " + std::to_string(counted) +
         ", the model allows " + std::to_string(certain) + " to " + std::to_string(possible));
}

void Harness::check_queries(Db& db, const std::string& ns, KeyValueStore& s) {
  const std::string& t1 = tags_[pick(rng_, tags_.size())];
  const std::string& t2 = tags_[pick(rng_, tags_.size())];
  // Runs a query and compares its keys with the model's keys satisfying want. Paged: pages are
  // offsets into the result of their own instant, so a key that expires while they are read
  // shifts the later ones (a key at a page's edge is skipped): past a key the model cannot
  // tell live or absent through the window, misses are not counted.
  auto compare = [&](const std::string& what, const std::function<std::vector<std::string>()>& run,
                     const std::function<bool(const Item&)>& want, bool paged = false) {
    Window w{wall_ms(), 0};
    std::vector<std::string> found = run();
    w.end = wall_ms();
    if (!std::is_sorted(found.begin(), found.end()))
      fail("db " + db.name + " ns " + ns + ": " + what + " is not sorted by key");
    std::set<std::string> result(found.begin(), found.end());
    bool shifted = false;
    for (const auto& [key, candidates] : db.model.namespaces[ns]) {
      const Item* item = db.model.certain_live(ns, key, w);
      if (item && want(*item) && !result.count(key) && !shifted)
        fail("db " + db.name + " ns " + ns + ": " + what + " misses " +
             VersionRegistry::printable(key));
      shifted = shifted || (paged && !item && !db.model.certainly_absent(ns, key, w));
    }
    for (const auto& key : result) {
      bool possible = false;
      for (const auto& c : db.model.candidates(ns, key))
        possible = possible || (c && !c->expired_before(w.start) && want(*c));
      if (!possible)
        fail("db " + db.name + " ns " + ns + ": " + what + " returns " +
             VersionRegistry::printable(key) + ", which the model excludes");
    }
  };
  compare(
      "query_by_tags(" + t1 + ")", [&] { return s.query_by_tags({t1}); },
      [&](const Item& i) { return has_tag(i, t1); });
  compare(
      "query(NOT " + t1 + ")", [&] { return s.query(!Query::tag(t1), 1, 100000).keys; },
      [&](const Item& i) { return !has_tag(i, t1); });
  // Page by page: pages of a sharded namespace are merged from every shard's.
  const std::size_t page_size = 3 + pick(rng_, 5);
  compare(
      "query(NOT " + t1 + ") in pages of " + std::to_string(page_size),
      [&] {
        std::vector<std::string> keys;
        for (std::size_t page = 1; page < 100000; ++page) {
          QueryResult result = s.query(!Query::tag(t1), page, page_size);
          keys.insert(keys.end(), result.keys.begin(), result.keys.end());
          if (!result.has_more) break;
        }
        return keys;
      },
      [&](const Item& i) { return !has_tag(i, t1); }, true);
  compare(
      "query_by_tags_advanced(" + t1 + " OR " + t2 + ")",
      [&] {
        return s.query_by_tags_advanced({t1, t2}, TagOperator::Or, 1, 100000).keys;
      },
      [&](const Item& i) { return has_tag(i, t1) || has_tag(i, t2); });
}

void Harness::resync() {
  auto head = [](const std::string& s) { return s.substr(0, s.find('\n')); };
  std::size_t n = findings_.size();
  if (n > 50 || (n >= 3 && head(findings_[n - 1]) == head(findings_[n - 2]) &&
                 head(findings_[n - 2]) == head(findings_[n - 3])))
    throw Mismatch("the store stays broken (or disagrees too often): giving up");
  remembered_.clear();
  for (auto& db : dbs_) {
    close(*db);
    open(*db);
    db->model = DbModel();
    db->versions = VersionRegistry();
    for (const auto& ns : namespaces_) {
      KeyValueStore& s = store(*db, ns);
      for (const auto& key : s.get_all_keys()) {
        auto e = s.get_with_metadata(key);
        if (!e) continue;
        Item item{std::make_shared<std::string>(e->value), e->metadata.tags, expiry_of(*e),
                  e->metadata.version};
        db->model.set(ns, key, std::move(item));
      }
    }
    if (!has_backups()) continue;
    std::set<std::string> listed;
    try {
      for (const auto& info : store(*db, namespaces_[0]).list_backups())
        listed.insert(info.id);
    } catch (const std::exception&) {
    }
    std::erase_if(db->backups, [&](const Backup& b) { return !listed.count(b.id); });
    for (const auto& b : db->backups)
      listed.erase(b.id);
    for (const auto& id : listed)
      db->backups.push_back(Backup{id, "", {}, false});
  }
}

}  // namespace nadb::testing::composed
