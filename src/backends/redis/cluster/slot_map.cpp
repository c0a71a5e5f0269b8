#include "backends/redis/cluster/slot_map.hpp"

#include <algorithm>
#include <charconv>
#include <optional>

#include "backends/redis/reply.hpp"
#include "nadb/errors.hpp"

namespace nadb::backends::redis::cluster {
namespace {

// The value of field `name` in a RESP2 map (a flat array of name, value, ...), or null.
const redisReply* field(const redisReply& map, std::string_view name, std::string_view what) {
  std::size_t size = array_size(map, what);
  for (std::size_t i = 0; i + 1 < size; i += 2) {
    if (string_of(element_of(map, i, what), what) == name) return &element_of(map, i + 1, what);
  }
  return nullptr;
}

int port_of(std::int64_t port) {
  if (port < 1 || port > 65535)
    throw Corruption("a cluster map names port " + std::to_string(port) + ", outside 1-65535");
  return static_cast<int>(port);
}

// A node of CLUSTER SHARDS: its endpoint (else ip, else the answering node) and port (or
// tls-port).
NodeAddress shard_node(const redisReply& node, const NodeAddress& answering, bool tls) {
  const char* what = "a node of CLUSTER SHARDS";
  NodeAddress address;
  for (const char* name : {"endpoint", "ip"}) {
    const redisReply* host = field(node, name, what);
    if (host && host->type == REDIS_REPLY_STRING && string_of(*host, what) != "?") {
      address.host = std::string(string_of(*host, what));
      if (!address.host.empty()) break;
    }
  }
  if (address.host.empty()) address.host = answering.host;
  const char* first = tls ? "tls-port" : "port";
  const redisReply* port = field(node, first, what);
  if (!port) port = field(node, tls ? "port" : "tls-port", what);
  if (!port) throw Corruption("a node of CLUSTER SHARDS has no port");
  address.port = port_of(integer_of(*port, what));
  return address;
}

}  // namespace

NodeAddress NodeAddress::parse(std::string_view text) {
  std::size_t colon = text.rfind(':');
  NodeAddress address;
  if (colon != std::string_view::npos) {
    address.host = std::string(text.substr(0, colon));
    std::string_view port = text.substr(colon + 1);
    auto [end, error] = std::from_chars(port.data(), port.data() + port.size(), address.port);
    if (error == std::errc() && end == port.data() + port.size() && address.port > 0 &&
        address.port < 65536) {
      return address;
    }
  }
  throw InvalidArgument("'" + std::string(text) + "' is not a Redis node address (host:port)");
}

SlotMap SlotMap::from_shards(const redisReply& reply, const NodeAddress& answering, bool tls) {
  const char* what = "CLUSTER SHARDS";
  SlotMap map;
  for (std::size_t s = 0; s < array_size(reply, what); ++s) {
    const redisReply& shard = element_of(reply, s, what);
    const redisReply* slots = field(shard, "slots", what);
    const redisReply* nodes = field(shard, "nodes", what);
    if (!slots || !nodes) throw Corruption("a shard of CLUSTER SHARDS lacks slots or nodes");
    // The online master; else one flagged failed or loading, the shard's only hope: a master
    // that returns is flagged failed by the others for a while, and serves all the same.
    std::optional<NodeAddress> master, failed_master;
    for (std::size_t n = 0; n < array_size(*nodes, what); ++n) {
      const redisReply& node = element_of(*nodes, n, what);
      NodeAddress address = shard_node(node, answering, tls);
      map.index_of(address);
      const redisReply* role = field(node, "role", what);
      const redisReply* health = field(node, "health", what);
      bool online = !health || string_of(*health, what) == "online";
      if (role && string_of(*role, what) == "master") (online ? master : failed_master) = address;
    }
    if (!master) master = failed_master;
    if (!master) continue;  // a shard without a master: its slots stay uncovered
    for (std::size_t i = 0; i + 1 < array_size(*slots, what); i += 2) {
      map.assign(integer_of(element_of(*slots, i, what), what),
                 integer_of(element_of(*slots, i + 1, what), what), *master);
    }
  }
  return map;
}

SlotMap SlotMap::from_slots(const redisReply& reply, const NodeAddress& answering) {
  const char* what = "CLUSTER SLOTS";
  SlotMap map;
  for (std::size_t r = 0; r < array_size(reply, what); ++r) {
    const redisReply& range = element_of(reply, r, what);
    if (array_size(range, what) < 3) throw Corruption("a range of CLUSTER SLOTS has no master");
    std::vector<NodeAddress> nodes;
    for (std::size_t n = 2; n < array_size(range, what); ++n) {
      const redisReply& node = element_of(range, n, what);
      NodeAddress address{std::string(string_of(element_of(node, 0, what), what)),
                          port_of(integer_of(element_of(node, 1, what), what))};
      if (address.host.empty() || address.host == "?") address.host = answering.host;
      map.index_of(address);
      nodes.push_back(address);
    }
    map.assign(integer_of(element_of(range, 0, what), what),
               integer_of(element_of(range, 1, what), what), nodes[0]);
  }
  return map;
}

const NodeAddress* SlotMap::master_of(std::uint16_t slot) const {
  std::uint16_t owner = owner_.at(slot);
  return owner == kNobody ? nullptr : &nodes_[owner];
}

std::vector<NodeAddress> SlotMap::masters() const {
  std::vector<NodeAddress> out;
  for (std::uint16_t owner : owner_) {
    if (owner != kNobody && std::find(out.begin(), out.end(), nodes_[owner]) == out.end())
      out.push_back(nodes_[owner]);
  }
  return out;
}

std::size_t SlotMap::uncovered_slots() const {
  return static_cast<std::size_t>(std::count(owner_.begin(), owner_.end(), kNobody));
}

void SlotMap::move(std::uint16_t slot, const NodeAddress& master) {
  owner_.at(slot) = index_of(master);
}

std::uint16_t SlotMap::index_of(const NodeAddress& node) {
  auto [it, added] = index_.emplace(node.text(), static_cast<std::uint16_t>(nodes_.size()));
  if (!added) return it->second;
  if (nodes_.size() >= kMaxNodes) {
    index_.erase(it);
    throw Corruption("a cluster map names more than " + std::to_string(kMaxNodes) + " nodes");
  }
  nodes_.push_back(node);
  return it->second;
}

void SlotMap::assign(std::int64_t first, std::int64_t last, const NodeAddress& master) {
  if (first < 0 || last < first || last >= kSlotCount)
    throw Corruption("a cluster map names slots " + std::to_string(first) + "-" +
                     std::to_string(last) + ", outside 0-16383");
  std::uint16_t owner = index_of(master);
  std::fill(owner_.begin() + first, owner_.begin() + last + 1, owner);
}

}  // namespace nadb::backends::redis::cluster
