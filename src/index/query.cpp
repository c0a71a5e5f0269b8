// Query factories, operators and canonical text.
#include <algorithm>
#include <limits>

#include "index/query_node.hpp"
#include "nadb/errors.hpp"

namespace nadb {
namespace {

using Node = index::QueryNode;

Query make(Node node) {
  for (const auto& child : node.children)
    node.depth = std::max(node.depth, child->depth + 1);
  if (node.depth > index::kMaxQueryDepth) {
    throw InvalidArgument("query nests deeper than " + std::to_string(index::kMaxQueryDepth) +
                          " levels");
  }
  return index::QueryAccess::make(std::make_shared<const Node>(std::move(node)));
}

}  // namespace

Query index::combine_all(Node::Kind kind, const std::vector<Query>& parts) {
  if (parts.size() == 1) return parts[0];
  Node node;
  node.kind = kind;
  for (const Query& q : parts) {
    if (index::QueryAccess::root(q).kind == kind) {
      node.children.insert(node.children.end(), index::QueryAccess::root(q).children.begin(),
                           index::QueryAccess::root(q).children.end());
    } else {
      node.children.push_back(index::QueryAccess::root_ptr(q));
    }
  }
  return make(std::move(node));
}

namespace {

void quote(std::string& out, std::string_view text) {
  out.push_back('"');
  for (char c : text) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
}

void write(std::string& out, const Node& n) {
  switch (n.kind) {
    case Node::Kind::Tag:
      out += "tag:";
      quote(out, n.text);
      break;
    case Node::Kind::KeyPrefix:
      out += "key:";
      quote(out, n.text);
      out.push_back('*');
      break;
    case Node::Kind::KeyEquals:
      out += "key:";
      quote(out, n.text);
      break;
    case Node::Kind::Range:
      out += std::string(index::range_field_name(n.field)) + ":[" + std::to_string(n.min) + "," +
             std::to_string(n.max) + "]";
      break;
    case Node::Kind::Not:
      out += "NOT ";
      write(out, *n.children[0]);
      break;
    case Node::Kind::And:
    case Node::Kind::Or:
      out.push_back('(');
      for (std::size_t i = 0; i < n.children.size(); ++i) {
        if (i > 0) out += n.kind == Node::Kind::And ? " AND " : " OR ";
        write(out, *n.children[i]);
      }
      out.push_back(')');
      break;
  }
}

}  // namespace

bool index::parse_range_field(std::string_view name, index::RangeField& field) {
  if (name == "size")
    field = index::RangeField::Size;
  else if (name == "created_at")
    field = index::RangeField::CreatedAt;
  else if (name == "updated_at")
    field = index::RangeField::UpdatedAt;
  else if (name == "expires_at")
    field = index::RangeField::ExpiresAt;
  else
    return false;
  return true;
}

const char* index::range_field_name(index::RangeField field) {
  switch (field) {
    case index::RangeField::Size:
      return "size";
    case index::RangeField::CreatedAt:
      return "created_at";
    case index::RangeField::UpdatedAt:
      return "updated_at";
    case index::RangeField::ExpiresAt:
      return "expires_at";
  }
  return "?";
}

Query Query::tag(std::string tag) {
  if (tag.empty() || tag.size() > 255 || tag.find('\0') != std::string::npos) {
    throw InvalidArgument("a query tag must be 1-255 bytes without NUL");
  }
  Node node;
  node.kind = Node::Kind::Tag;
  node.text = std::move(tag);
  return make(std::move(node));
}

Query Query::key_prefix(std::string prefix) {
  Node node;
  node.kind = Node::Kind::KeyPrefix;
  node.text = std::move(prefix);
  return make(std::move(node));
}

Query Query::key_equals(std::string key) {
  if (key.empty()) throw InvalidArgument("a query key must not be empty");
  Node node;
  node.kind = Node::Kind::KeyEquals;
  node.text = std::move(key);
  return make(std::move(node));
}

Query Query::range(std::string field, std::int64_t min, std::int64_t max) {
  Node node;
  node.kind = Node::Kind::Range;
  if (!index::parse_range_field(field, node.field)) {
    throw InvalidArgument("unknown range field '" + field +
                          "' (size, created_at, updated_at, expires_at)");
  }
  if (min > max) throw InvalidArgument("range of " + field + " has min > max");
  node.min = min;
  node.max = max;
  return make(std::move(node));
}

Query operator&&(const Query& a, const Query& b) {
  return index::combine_all(index::QueryNode::Kind::And, {a, b});
}
Query operator||(const Query& a, const Query& b) {
  return index::combine_all(index::QueryNode::Kind::Or, {a, b});
}

Query operator!(const Query& q) {
  index::QueryNode node;
  node.kind = index::QueryNode::Kind::Not;
  node.children.push_back(index::QueryAccess::root_ptr(q));
  return make(std::move(node));
}

std::string Query::to_string() const {
  std::string out;
  write(out, *root_);
  return out;
}

}  // namespace nadb
