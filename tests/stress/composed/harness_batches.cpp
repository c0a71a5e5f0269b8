// The composed test's multi-key writes: batch_set, batch_remove and transactions. On a Redis
// Cluster, one over keys of different shards of a sharded namespace must be refused whole
// (NotSupported) and write nothing, which the model, left unchanged, then checks.
//
// Not a test file: the harness the composed test drives (see harness.hpp).

#include <algorithm>
#include <set>

#include "stress/composed/harness.hpp"

namespace nadb::testing::composed {

bool Harness::refused_batch(Db& db, const std::string& ns, const std::vector<std::string>& keys,
                            const std::function<void()>& write) {
  Options o = options_of(db.name, ns);
  if (!refuses_batches_over_groups(o) || keys.empty()) return false;
  auto backend = StorageFactory::create(o);  // the stores' own
  auto group = [&](const std::string& key) { return backend->batch_group(ns, key); };
  if (std::all_of(keys.begin(), keys.end(),
                  [&](const std::string& key) { return group(key) == group(keys[0]); }))
    return false;
  trace("  (over shards of a cluster: must be refused whole)");
  try {
    write();
  } catch (const NotSupported&) {
    return true;  // and wrote nothing: the model, unchanged, checks that
  }
  fail("a batch over shards of a sharded namespace was applied on a cluster");
}

void Harness::op_batch_set(Db& db, const std::string& ns) {
  std::vector<BatchItem> batch;
  std::map<std::string, std::pair<Item, std::optional<std::chrono::seconds>>> last;
  std::size_t bytes = 0;
  for (std::size_t n = 1 + pick(rng_, 6); n > 0; --n) {
    const std::string& key = pick_key();
    std::optional<std::chrono::seconds> ttl;
    Item item = random_item(ttl);
    if (!fits(bytes, key, item)) break;
    batch.push_back(BatchItem{key, *item.value, item.tags, ttl});
    last[key] = {item, ttl};
  }
  if (batch.empty()) return;
  trace("  batch_set of " + std::to_string(batch.size()));
  std::vector<std::string> keys;
  for (const auto& item : batch)
    keys.push_back(item.key);
  if (refused_batch(db, ns, keys, [&] { store(db, ns).batch_set(batch); })) return;
  Window w{wall_ms(), 0};
  store(db, ns).batch_set(batch);
  w.end = wall_ms();
  for (auto& [key, written] : last) {
    auto created = created_after_write(db, ns, key, w);
    db.model.set(ns, key, written.first);
    learn(db, ns, key, w, written.second, created);
  }
}

void Harness::op_batch_remove(Db& db, const std::string& ns) {
  std::vector<std::string> keys;
  for (std::size_t n = 1 + pick(rng_, 5); n > 0; --n) {
    const std::string& key = pick_key();
    if (std::find(keys.begin(), keys.end(), key) == keys.end()) keys.push_back(key);
  }
  trace("  batch_remove of " + std::to_string(keys.size()));
  if (refused_batch(db, ns, keys, [&] { store(db, ns).batch_remove(keys); })) return;
  Window w{wall_ms(), 0};
  std::size_t removed = store(db, ns).batch_remove(keys);
  w.end = wall_ms();
  std::size_t live = 0;
  bool certain = true;
  for (const auto& key : keys) {
    if (db.model.certain_live(ns, key, w)) {
      ++live;
    } else if (!db.model.certainly_absent(ns, key, w)) {
      certain = false;
    }
    db.model.erase(ns, key);
  }
  if (certain && removed != live)
    fail("batch_remove removed " + std::to_string(removed) + ", the model had " +
         std::to_string(live) + " of them live");
}

void Harness::op_transaction(Db& db, const std::string& ns) {
  auto level = chance(rng_, 0.5) ? IsolationLevel::Serializable : IsolationLevel::ReadCommitted;
  Window w{wall_ms(), 0};  // a staged write's expiry counts from when it is staged
  Transaction tx = store(db, ns).transaction(level);
  std::map<std::string, std::optional<std::pair<Item, std::optional<std::chrono::seconds>>>> last;
  std::set<std::string> removed;  // keys the transaction removes (then perhaps sets again)
  std::size_t bytes = 0;
  for (std::size_t n = 1 + pick(rng_, 4); n > 0; --n) {
    // Often a key the transaction already wrote: "remove, set, set" of one key is a batch whose
    // later ops must see the earlier ones.
    std::string key = pick_key();
    if (!last.empty() && chance(rng_, 0.4))
      key = std::next(last.begin(), pick(rng_, last.size()))->first;
    if (chance(rng_, 0.3)) {
      tx.get(key);
      tx.remove(key);
      last[key] = std::nullopt;
      removed.insert(key);
    } else {
      std::optional<std::chrono::seconds> ttl;
      Item item = random_item(ttl);
      if (!fits(bytes, key, item)) break;
      tx.set(key, *item.value, SetOptions{item.tags, ttl});
      last[key] = std::pair{item, ttl};
    }
  }
  bool commit = chance(rng_, 0.85);
  trace("  transaction of " + std::to_string(tx.operation_count()) +
        (commit ? " committed" : " rolled back"));
  if (!commit) return tx.rollback();
  std::vector<std::string> keys;
  for (const auto& [key, written] : last)
    keys.push_back(key);
  if (refused_batch(db, ns, keys, [&] { tx.commit(); })) return;
  tx.commit();
  w.end = wall_ms();
  for (auto& [key, written] : last) {
    if (!written) {
      db.model.erase(ns, key);
      continue;
    }
    // Set again after its removal, the key is created by the transaction.
    auto created = removed.count(key) ? std::optional(w) : created_after_write(db, ns, key, w);
    db.model.set(ns, key, written->first);
    learn(db, ns, key, w, written->second, created);
  }
}

}  // namespace nadb::testing::composed
