// The Query expression tree (the public Query holds an immutable shared root).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "nadb/query.hpp"

namespace nadb {

enum class RangeField { Size, CreatedAt, UpdatedAt, ExpiresAt };

struct Query::Node {
  enum class Kind { Tag, KeyPrefix, KeyEquals, Range, And, Or, Not };

  Kind kind = Kind::Tag;
  std::string text;  // Tag: the tag; KeyPrefix: the prefix; KeyEquals: the key
  RangeField field = RangeField::Size;
  std::int64_t min = 0, max = 0;                      // Range, inclusive
  std::vector<std::shared_ptr<const Node>> children;  // And, Or (two or more), Not (one)
  std::uint32_t depth = 1;                            // levels of nodes, this one included
};

// The deepest query accepted (InvalidArgument beyond): evaluating, printing and sending a
// query recurse once per level, and a query from outside must not exhaust the stack.
inline constexpr std::uint32_t kMaxQueryDepth = 256;

// And/Or of all parts in one node, operands of the same kind flattened (one part: itself);
// InvalidArgument beyond kMaxQueryDepth.
Query combine_all(Query::Node::Kind kind, const std::vector<Query>& parts);

// "size", "created_at", ... -> field; false for other names.
bool parse_range_field(std::string_view name, RangeField& field);
const char* range_field_name(RangeField field);

}  // namespace nadb
