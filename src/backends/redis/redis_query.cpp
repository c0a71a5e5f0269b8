// RedisBackend's server-side queries: the Query tree is sent in prefix form to
// lua/query.lua, which combines the tag sets with Z*STORE and returns one sorted page.
#include <algorithm>
#include <iterator>

#include "backends/redis/redis_backend.hpp"
#include "index/query_node.hpp"

namespace nadb::backends::redis {
namespace {

using Kind = index::QueryNode::Kind;

// The metadata field names of lua/query.lua.
const char* field_name(index::RangeField field) {
  switch (field) {
    case index::RangeField::Size:
      return "raw";
    case index::RangeField::CreatedAt:
      return "created";
    case index::RangeField::UpdatedAt:
      return "updated";
    case index::RangeField::ExpiresAt:
      return "expires";
  }
  return "raw";
}

// Appends node in the prefix form lua/query.lua reads.
void encode(const index::QueryNode& node, Command& command) {
  switch (node.kind) {
    case Kind::Tag:
      command.arg("T").arg(node.text);
      return;
    case Kind::KeyPrefix:
      command.arg("P").arg_copy("[" + node.text).arg_copy(lex_upper_bound(node.text));
      return;
    case Kind::KeyEquals:
      command.arg("K").arg(node.text);
      return;
    case Kind::Range:
      command.arg("R").arg(field_name(node.field)).arg(node.min).arg(node.max);
      return;
    case Kind::Not:
      command.arg("N");
      encode(*node.children.at(0), command);
      return;
    case Kind::And:
    case Kind::Or:
      command.arg(node.kind == Kind::And ? "A" : "O")
          .arg(static_cast<std::int64_t>(node.children.size()));
      for (const auto& child : node.children)
        encode(*child, command);
      return;
  }
}

}  // namespace

RedisBackend::QueryPart RedisBackend::query_shard(const std::string& prefix, const Query& q,
                                                  std::int64_t offset, std::int64_t count,
                                                  std::int64_t now_ms) {
  Command args{prefix};
  args.arg(now_ms).arg(offset).arg(count);
  encode(index::QueryAccess::root(q), args);
  Reply reply = query_script_.run(*dispatcher_, prefix, Access::Read, 1, args);
  QueryPart part;
  part.total = static_cast<std::size_t>(integer_of(element_of(*reply, 0, "query"), "total"));
  part.generation = static_cast<std::uint64_t>(decimal_of(element_of(*reply, 1, "query"), "gen"));
  part.next_expiry_ms = decimal_of(element_of(*reply, 2, "query"), "next expiry");
  const redisReply& keys = element_of(*reply, 3, "query");
  for (std::size_t i = 0; i < array_size(keys, "query keys"); ++i)
    part.keys.emplace_back(string_of(element_of(keys, i, "query keys"), "key"));
  return part;
}

// A sharded namespace's page: each shard's first offset + page_size keys, merged (the page's
// keys are among them), so that pages are exact and ordered; deep pages cost the keys before
// them on every shard. The generation is the sum of the shards' (each only grows: an equal sum
// is equal generations).
ServerQueryPage RedisBackend::query(std::string_view ns, const Query& q, std::size_t page,
                                    std::size_t page_size, std::int64_t now_ms) {
  // Offsets past any zset's size are clamped to 2^50, which Lua still formats as an integer.
  constexpr auto kMax = std::size_t{1} << 50;
  bool every = page_size == kEveryKey;
  std::size_t offset = every || page - 1 <= kMax / page_size ? (page - 1) * page_size : kMax;
  offset = std::min(offset, kMax);
  std::vector<Layout> shards = layouts(ns);
  ServerQueryPage out;
  QueryResult& result = out.result;
  for (const Layout& shard : shards) {
    QueryPart part =
        shards.size() == 1
            ? query_shard(shard.prefix, q, every ? 0 : static_cast<std::int64_t>(offset),
                          every ? -1 : static_cast<std::int64_t>(page_size), now_ms)
            : query_shard(
                  shard.prefix, q, 0,
                  every ? -1 : static_cast<std::int64_t>(std::min(offset + page_size, kMax)),
                  now_ms);
    result.total_count += part.total;
    out.generation += part.generation;
    if (part.next_expiry_ms != 0 &&
        (out.valid_until_ms == 0 || part.next_expiry_ms < out.valid_until_ms))
      out.valid_until_ms = part.next_expiry_ms;
    std::move(part.keys.begin(), part.keys.end(), std::back_inserter(result.keys));
  }
  if (shards.size() > 1) {
    std::sort(result.keys.begin(), result.keys.end());
    if (!every) {
      std::size_t from = std::min(offset, result.keys.size());
      std::size_t to = std::min(from + page_size, result.keys.size());
      result.keys = std::vector<std::string>(std::make_move_iterator(result.keys.begin() + from),
                                             std::make_move_iterator(result.keys.begin() + to));
    }
  }
  std::size_t size = every ? std::max<std::size_t>(1, result.total_count) : page_size;
  result.page = page;
  result.page_size = size;
  result.has_more = page - 1 < result.total_count / size && page * size < result.total_count;
  return out;
}

std::uint64_t RedisBackend::write_generation(std::string_view ns) {
  std::uint64_t sum = 0;
  for (const Layout& shard : layouts(ns)) {
    Reply reply = run(shard.generation, Command{"GET", shard.generation}, Access::Read);
    if (!is_nil(*reply)) sum += static_cast<std::uint64_t>(decimal_of(*reply, "gen"));
  }
  return sum;
}

// Expiry is the server clock's (sweep), not now_ms's; counts are kept exact by the scripts.
std::map<std::string, std::size_t> RedisBackend::tag_counts(std::string_view ns, std::int64_t) {
  sweep(ns);
  std::map<std::string, std::size_t> counts;
  for (const Layout& shard : layouts(ns)) {
    std::string key = shard.prefix + ":tags";
    Reply reply = run(key, Command{"HGETALL", key}, Access::Read);
    for (std::size_t i = 0; i + 1 < array_size(*reply, "HGETALL"); i += 2) {
      counts[std::string(string_of(element_of(*reply, i, "HGETALL"), "tag"))] +=
          static_cast<std::size_t>(decimal_of(element_of(*reply, i + 1, "HGETALL"), "n"));
    }
  }
  return counts;
}

}  // namespace nadb::backends::redis
