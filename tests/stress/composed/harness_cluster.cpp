// The composed test's Redis Cluster and sharding parts. Sharded namespaces: which versions a
// key's new write must exceed (its shard's). A Redis Cluster's operation: a namespace's hash
// slot (one of its shards', or the db's registry's) moves to another master the way
// `redis-cli --cluster reshard` moves it — IMPORTING, MIGRATING, its keys in small MIGRATE
// batches, then the new owner everywhere — by a thread of its own, while this thread runs an
// operation on the namespace: a write, a sweep, or the model's check of every key, scan, count
// and query (scripts wait until the slot has moved; plain reads follow ASK). The model then
// checks everything, as after any other step.
//
// Not a test file: the harness the composed test drives (see harness.hpp).

#include <algorithm>
#include <chrono>
#include <sstream>
#include <thread>

#include "backends/redis/cluster/key_slot.hpp"
#include "backends/redis/shard.hpp"
#include "stress/composed/harness.hpp"
#include "support/raw_redis.hpp"

namespace nadb::testing::composed {
namespace {

struct Master {
  std::string id;
  int port = 0;
};

// The masters of the cluster seed belongs to, from CLUSTER NODES.
std::vector<Master> masters_of(int seed) {
  backends::redis::Reply nodes = RawRedis(seed).run({"CLUSTER", "NODES"});
  std::vector<Master> masters;
  std::istringstream lines(std::string(nodes->str, nodes->len));
  for (std::string line; std::getline(lines, line);) {
    std::istringstream fields(line);
    std::string id, address, flags;
    fields >> id >> address >> flags;
    if (flags.find("master") == std::string::npos || flags.find("fail") != std::string::npos)
      continue;
    std::size_t colon = address.find(':'), at = address.find('@');
    masters.push_back({id, std::stoi(address.substr(colon + 1, at - colon - 1))});
  }
  return masters;
}

std::string text(const backends::redis::Reply& reply) {
  return reply->str ? std::string(reply->str, reply->len) : std::string();
}

// Moves slot from its master to another one, pausing between key batches so that the other
// thread's operation meets the slot half moved. Returns what went wrong ("" if nothing).
std::string move_slot(int seed, std::uint16_t slot) {
  std::vector<Master> masters = masters_of(seed);
  const std::string slot_text = std::to_string(slot);
  std::size_t from = masters.size();
  // The owner is the master whose CLUSTER SLOTS lists slot: ask one node for the map.
  backends::redis::Reply slots = RawRedis(seed).run({"CLUSTER", "SLOTS"});
  for (std::size_t r = 0; r < slots->elements; ++r) {
    const redisReply* range = slots->element[r];
    if (range->element[0]->integer <= slot && slot <= range->element[1]->integer) {
      int port = static_cast<int>(range->element[2]->element[1]->integer);
      for (std::size_t i = 0; i < masters.size(); ++i)
        if (masters[i].port == port) from = i;
    }
  }
  if (from == masters.size() || masters.size() < 2) return "no owner of slot " + slot_text;
  const Master& source = masters[from];
  const Master& target = masters[(from + 1) % masters.size()];
  RawRedis to(target.port), at(source.port);
  if (text(to.run({"CLUSTER", "SETSLOT", slot_text, "IMPORTING", source.id})) != "OK" ||
      text(at.run({"CLUSTER", "SETSLOT", slot_text, "MIGRATING", target.id})) != "OK")
    return "cannot open the migration of slot " + slot_text;
  for (;;) {
    backends::redis::Reply keys = at.run({"CLUSTER", "GETKEYSINSLOT", slot_text, "3"});
    if (keys->elements == 0) break;
    backends::redis::Command migrate{"MIGRATE", "127.0.0.1"};
    migrate.arg(std::int64_t{target.port}).arg("").arg("0").arg("5000").arg("KEYS");
    for (std::size_t i = 0; i < keys->elements; ++i)
      migrate.arg(std::string_view(keys->element[i]->str, keys->element[i]->len));
    backends::redis::Reply moved = at.run(migrate);
    if (text(moved) != "OK") return "MIGRATE failed: " + text(moved);
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  for (const Master& master : masters) {
    if (text(RawRedis(master.port).run({"CLUSTER", "SETSLOT", slot_text, "NODE", target.id})) !=
        "OK")
      return "cannot give slot " + slot_text + " to its new master";
  }
  return "";
}

}  // namespace

std::string Harness::version_space(const std::string& ns, const std::string& key) const {
  int shards = options_of("x", ns).redis.shards;
  if (shards <= 1) return ns;
  return ns + " (shard " + std::to_string(backends::redis::shard_of(key, shards)) + ")";
}

void Harness::op_move_slot(Db& db, const std::string& ns) {
  Options o = options_of(db.name, ns);
  bool registry = chance(rng_, 0.3);
  std::string hashed = registry ? db.name : db.name + ":" + ns;  // the registry's or ns's slot
  if (!registry && o.redis.shards > 1)                           // or one of ns's shards'
    hashed += ":" + std::to_string(pick(rng_, static_cast<std::size_t>(o.redis.shards)));
  std::string tag = o.redis.key_prefix + ":{" + hashed + "}";
  std::uint16_t slot = backends::redis::cluster::key_slot(tag);
  trace("  moving slot " + std::to_string(slot) + " of " + tag);
  std::string problem;
  std::thread mover([&] { problem = move_slot(o.redis.port, slot); });
  try {  // meets the slot moving: a write (two declared keys), or scans, counts and queries
    switch (pick(rng_, 4)) {  // (one declared key: on a migration's target they would run)
      case 0:
        op_set(db, ns);
        break;
      case 1:
        op_remove(db, ns);
        break;
      case 2:
        op_cleanup_expired(db, ns);
        break;
      default:
        check_namespace(db, ns, store(db, ns));
    }
  } catch (...) {
    mover.join();
    throw;
  }
  mover.join();
  if (!problem.empty()) fail("the slot could not be moved: " + problem);
}

}  // namespace nadb::testing::composed
