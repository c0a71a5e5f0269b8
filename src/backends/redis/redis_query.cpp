// RedisBackend's server-side queries: the Query tree is sent in prefix form to
// lua/query.lua, which combines the tag sets with Z*STORE and returns one sorted page.
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

ServerQueryPage RedisBackend::query(std::string_view ns, const Query& q, std::size_t page,
                                    std::size_t page_size, std::int64_t now_ms) {
  // Offsets past any zset's size are clamped to 2^50, which Lua still formats as an integer.
  constexpr auto kMax = std::size_t{1} << 50;
  bool every = page_size == kEveryKey;
  std::size_t offset = every || page - 1 <= kMax / page_size ? (page - 1) * page_size : kMax;
  std::string p = prefix(ns);
  Command args{p};
  args.arg(now_ms)
      .arg(static_cast<std::int64_t>(every ? 0 : std::min(offset, kMax)))
      .arg(every ? std::int64_t{-1} : static_cast<std::int64_t>(page_size));
  encode(index::QueryAccess::root(q), args);
  Reply reply = query_script_.run(*dispatcher_, p, Access::Read, 1, args);

  ServerQueryPage out;
  QueryResult& result = out.result;
  result.total_count =
      static_cast<std::size_t>(integer_of(element_of(*reply, 0, "query"), "total"));
  out.generation = static_cast<std::uint64_t>(decimal_of(element_of(*reply, 1, "query"), "gen"));
  out.valid_until_ms = decimal_of(element_of(*reply, 2, "query"), "next expiry");
  const redisReply& keys = element_of(*reply, 3, "query");
  for (std::size_t i = 0; i < array_size(keys, "query keys"); ++i)
    result.keys.emplace_back(string_of(element_of(keys, i, "query keys"), "key"));
  std::size_t size = every ? std::max<std::size_t>(1, result.total_count) : page_size;
  result.page = page;
  result.page_size = size;
  result.has_more = page - 1 < result.total_count / size && page * size < result.total_count;
  return out;
}

std::uint64_t RedisBackend::write_generation(std::string_view ns) {
  std::string key = prefix(ns) + ":gen";
  Command command{"GET", key};
  Reply reply = run(key, command, Access::Read);
  return is_nil(*reply) ? 0 : static_cast<std::uint64_t>(decimal_of(*reply, "gen"));
}

// Expiry is the server clock's (sweep), not now_ms's; counts are kept exact by the scripts.
std::map<std::string, std::size_t> RedisBackend::tag_counts(std::string_view ns, std::int64_t) {
  sweep(ns);
  std::string key = prefix(ns) + ":tags";
  Command command{"HGETALL", key};
  Reply reply = run(key, command, Access::Read);
  std::map<std::string, std::size_t> counts;
  for (std::size_t i = 0; i + 1 < array_size(*reply, "HGETALL"); i += 2) {
    counts.emplace(string_of(element_of(*reply, i, "HGETALL"), "tag"),
                   static_cast<std::size_t>(decimal_of(element_of(*reply, i + 1, "HGETALL"), "n")));
  }
  return counts;
}

}  // namespace nadb::backends::redis
