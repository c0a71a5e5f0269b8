// The Query expression tree (the public Query holds an immutable shared root, private to it).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "nadb/query.hpp"

namespace nadb {

namespace index {
enum class RangeField { Size, CreatedAt, UpdatedAt, ExpiresAt };
}  // namespace index

struct Query::Node {
  enum class Kind { Tag, KeyPrefix, KeyEquals, Range, And, Or, Not };

  Kind kind = Kind::Tag;
  std::string text;  // Tag: the tag; KeyPrefix: the prefix; KeyEquals: the key
  index::RangeField field = index::RangeField::Size;
  std::int64_t min = 0, max = 0;                      // Range, inclusive
  std::vector<std::shared_ptr<const Node>> children;  // And, Or (two or more), Not (one)
  std::uint32_t depth = 1;                            // levels of nodes, this one included
};

}  // namespace nadb

namespace nadb::index {

// What the library sees of a Query: its tree (Query keeps it private to the public API).
struct QueryAccess {
  using Node = Query::Node;
  static const Node& root(const Query& q) { return *q.root_; }
  static const std::shared_ptr<const Node>& root_ptr(const Query& q) { return q.root_; }
  static Query make(std::shared_ptr<const Node> root) { return Query(std::move(root)); }
};
using QueryNode = QueryAccess::Node;

// The deepest query accepted (InvalidArgument beyond): evaluating, printing and sending a
// query recurse once per level, and a query from outside must not exhaust the stack.
inline constexpr std::uint32_t kMaxQueryDepth = 256;

// And/Or of all parts in one node, operands of the same kind flattened (one part: itself);
// InvalidArgument beyond kMaxQueryDepth.
Query combine_all(QueryNode::Kind kind, const std::vector<Query>& parts);

// "size", "created_at", ... -> field; false for other names.
bool parse_range_field(std::string_view name, RangeField& field);
const char* range_field_name(RangeField field);

}  // namespace nadb::index
