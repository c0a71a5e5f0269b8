// SlotMap: which master serves each of a Redis Cluster's 16384 hash slots, as a node reported
// it (CLUSTER SHARDS on Redis 7, CLUSTER SLOTS on older servers), corrected one slot at a time
// by MOVED redirections between refreshes. Not thread-safe: its owner guards it.
#pragma once

#include <hiredis/hiredis.h>

#include <array>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "backends/redis/cluster/key_slot.hpp"

namespace nadb::backends::redis::cluster {

struct NodeAddress {
  std::string host;
  int port = 0;

  bool operator==(const NodeAddress&) const = default;
  // "host:port", as MOVED replies and error messages name nodes.
  std::string text() const { return host + ":" + std::to_string(port); }
  // Parses "host:port" (the host may be empty: the address of the node that answered);
  // InvalidArgument if it is not that.
  static NodeAddress parse(std::string_view text);
};

class SlotMap {
 public:
  // Every slot uncovered.
  SlotMap() { owner_.fill(kNobody); }
  // From the reply of CLUSTER SHARDS / CLUSTER SLOTS. A node that names no host (an empty
  // endpoint) is at `answering`, the node that gave the reply. Throws Corruption when the reply
  // is not of that shape.
  // tls: the nodes' TLS ports are the ones to use (their plain ports otherwise).
  static SlotMap from_shards(const redisReply& reply, const NodeAddress& answering,
                             bool tls = false);
  static SlotMap from_slots(const redisReply& reply, const NodeAddress& answering);

  // The master serving slot; null when no node covers it (the cluster is not whole).
  const NodeAddress* master_of(std::uint16_t slot) const;
  // The masters serving at least one slot, in order of their first slot.
  std::vector<NodeAddress> masters() const;
  // Every node named (masters and replicas): where a refresh may ask.
  const std::vector<NodeAddress>& nodes() const { return nodes_; }
  // Whether the map names node (as a master or a replica).
  bool names(const NodeAddress& node) const { return index_.count(node.text()) > 0; }
  // Slots no node covers.
  std::size_t uncovered_slots() const;
  // Records that master now serves slot (a MOVED reply).
  void move(std::uint16_t slot, const NodeAddress& master);

 private:
  static constexpr std::uint16_t kNobody = 0xFFFF;
  // Redis Cluster's own recommended limit is 1000 nodes; a map naming far more is not real.
  static constexpr std::size_t kMaxNodes = 4096;
  std::uint16_t index_of(const NodeAddress& node);
  void assign(std::int64_t first, std::int64_t last, const NodeAddress& master);

  std::vector<NodeAddress> nodes_;
  std::unordered_map<std::string, std::uint16_t> index_;  // text() → index in nodes_
  std::array<std::uint16_t, kSlotCount> owner_;           // index in nodes_, or kNobody
};

}  // namespace nadb::backends::redis::cluster
