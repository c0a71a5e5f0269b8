// Tag queries: the Query expression tree and its text syntax, conditions, and results.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace nadb {

namespace index {
struct QueryAccess;  // src/index/query_node.hpp
}  // namespace index

// How query_by_tags_advanced combines its tags. Not: keys having none of the tags.
enum class TagOperator { And, Or, Not };

// One condition of complex_query (conditions are ANDed).
//   field "tags": op "and" | "or" | "not" over values
//   field "key":  op "prefix" (values[0]) | "eq" (values[0]) | "in" (values)
//   fields "size", "created_at", "updated_at", "expires_at" (ms since the Unix epoch):
//         op "range" (min and/or max, inclusive) | "eq" (min)
struct Condition {
  std::string field;
  std::string op;
  std::vector<std::string> values;
  std::optional<std::int64_t> min;
  std::optional<std::int64_t> max;
};

// One page of a query's keys, sorted by key bytes. Never changed after it is returned.
struct QueryResult {
  std::vector<std::string> keys;
  std::size_t total_count = 0;  // matching keys over all pages
  std::size_t page = 1;         // 1-based
  std::size_t page_size = 100;
  bool has_more = false;  // a later page has keys
  double execution_time_ms = 0;
  bool cache_hit = false;
};

// An immutable query expression. Build with the factories and &&, ||, !, or parse text:
//   tag:a AND (tag:b OR NOT tag:"with space") AND size:[0,1024] AND key:user:*
// Terms are field:value; fields tag, key (key:p* is a prefix, key:k an exact key), size,
// created_at, updated_at, expires_at (ranges [lo,hi], inclusive, integers; times in ms since
// the epoch). Tags may be double-quoted with backslash escapes. NOT binds tighter than AND,
// AND tighter than OR; parentheses group. Copying a Query is cheap (shared tree).
class Query {
 public:
  static Query tag(std::string tag);
  static Query key_prefix(std::string prefix);
  static Query key_equals(std::string key);
  // field: size, created_at, updated_at or expires_at; InvalidArgument otherwise or if min > max.
  static Query range(std::string field, std::int64_t min, std::int64_t max);
  // InvalidArgument naming the position on a syntax error: empty expression, a field with
  // no value, unbalanced parentheses, a dangling operator, an unterminated quote, an unknown
  // field.
  static Query parse(std::string_view text);

  friend Query operator&&(const Query& a, const Query& b);
  friend Query operator||(const Query& a, const Query& b);
  friend Query operator!(const Query& q);

  // A canonical text form (parse(to_string()) is an equal query).
  std::string to_string() const;

 private:
  struct Node;                       // the expression tree: src/index/query_node.hpp
  friend struct index::QueryAccess;  // the library's view of the tree (same file)
  explicit Query(std::shared_ptr<const Node> root) : root_(std::move(root)) {}

  std::shared_ptr<const Node> root_;
};

}  // namespace nadb
