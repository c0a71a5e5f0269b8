// Query::parse: the text syntax (see nadb/query.hpp). Recursive descent; every error names
// the 0-based byte position where it was found.
#include <cctype>
#include <charconv>
#include <vector>

#include "index/query_node.hpp"
#include "nadb/errors.hpp"

namespace nadb {
namespace {

using Node = index::QueryNode;

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  Query parse() {
    skip_space();
    if (at_end()) fail("empty expression", 0);
    Query q = parse_or();
    skip_space();
    if (!at_end()) {
      fail(peek() == ')' ? "unbalanced ')'" : "expected AND, OR or the end", pos_);
    }
    return q;
  }

 private:
  [[noreturn]] void fail(const std::string& what, std::size_t at) const {
    throw InvalidArgument("query: " + what + " at position " + std::to_string(at));
  }
  bool at_end() const { return pos_ >= text_.size(); }
  char peek() const { return text_[pos_]; }
  void skip_space() {
    while (!at_end() && std::isspace(static_cast<unsigned char>(peek())))
      ++pos_;
  }
  bool ends_word(std::size_t at) const {
    return at >= text_.size() || std::isspace(static_cast<unsigned char>(text_[at])) ||
           text_[at] == '(' || text_[at] == ')';
  }
  // Consumes the operator word (any case) if it comes next.
  bool match_word(std::string_view word) {
    skip_space();
    if (text_.size() - pos_ < word.size()) return false;
    for (std::size_t i = 0; i < word.size(); ++i) {
      if (std::toupper(static_cast<unsigned char>(text_[pos_ + i])) != word[i]) return false;
    }
    if (!ends_word(pos_ + word.size())) return false;
    pos_ += word.size();
    return true;
  }

  // A chain of operands is combined once (combining pairwise copied the chain each time).
  Query parse_or() {
    std::vector<Query> parts{parse_and()};
    while (match_word("OR"))
      parts.push_back(parse_and());
    return index::combine_all(Node::Kind::Or, parts);
  }
  Query parse_and() {
    std::vector<Query> parts{parse_unary()};
    while (match_word("AND"))
      parts.push_back(parse_unary());
    return index::combine_all(Node::Kind::And, parts);
  }
  Query parse_unary() {
    if (!match_word("NOT")) return parse_primary();
    Nesting nesting(*this);
    return !parse_unary();
  }
  // One level of NOT or parentheses; the parser's recursion ends at index::kMaxQueryDepth.
  struct Nesting {
    explicit Nesting(Parser& p) : parser(p) {
      if (++parser.depth_ > index::kMaxQueryDepth) {
        parser.fail("query nests deeper than " + std::to_string(index::kMaxQueryDepth) + " levels",
                    parser.pos_);
      }
    }
    ~Nesting() { --parser.depth_; }
    Parser& parser;
  };
  Query parse_primary() {
    skip_space();
    if (at_end()) fail("dangling operator: expected a term", pos_);
    if (peek() == '(') {
      std::size_t open = pos_++;
      Nesting nesting(*this);
      Query q = parse_or();
      skip_space();
      if (at_end() || peek() != ')') fail("unbalanced '(' opened", open);
      ++pos_;
      return q;
    }
    if (peek() == ')') fail("expected a term before ')'", pos_);
    return parse_term();
  }

  Query parse_term() {
    std::size_t start = pos_;
    while (!at_end() && (std::isalnum(static_cast<unsigned char>(peek())) || peek() == '_'))
      ++pos_;
    std::string field(text_.substr(start, pos_ - start));
    if (field.empty()) fail("expected a term like tag:name", start);
    if (at_end() || peek() != ':') fail("expected ':' after field '" + field + "'", pos_);
    ++pos_;
    if (ends_word(pos_)) fail("field '" + field + "' has no value", pos_);
    index::RangeField range;
    if (field == "tag") return Query::tag(value());
    if (field == "key") {
      bool quoted = peek() == '"';
      std::string v = value();
      bool prefix = !at_end() && peek() == '*' && quoted;
      if (prefix) ++pos_;
      if (!quoted && !v.empty() && v.back() == '*') {
        v.pop_back();
        prefix = true;
      }
      if (!prefix && v.empty()) fail("field 'key' has no value", start);
      return prefix ? Query::key_prefix(v) : Query::key_equals(v);
    }
    if (index::parse_range_field(field, range)) return parse_range(field);
    fail("unknown field '" + field + "' (tag, key, size, created_at, updated_at, expires_at)",
         start);
  }

  // A double-quoted string with backslash escapes, or a bare word up to space or parenthesis.
  std::string value() {
    std::string out;
    if (peek() != '"') {
      while (!ends_word(pos_))
        out.push_back(text_[pos_++]);
      return out;
    }
    std::size_t open = pos_++;
    for (;;) {
      if (at_end()) fail("unterminated quote", open);
      char c = text_[pos_++];
      if (c == '"') return out;
      if (c == '\\') {
        if (at_end()) fail("unterminated quote", open);
        c = text_[pos_++];
      }
      out.push_back(c);
    }
  }

  Query parse_range(const std::string& field) {
    if (peek() != '[') fail("expected '[lo,hi]' after '" + field + ":'", pos_);
    ++pos_;
    std::int64_t lo = number(), hi = 0;
    if (at_end() || peek() != ',') fail("expected ',' in range", pos_);
    ++pos_;
    hi = number();
    if (at_end() || peek() != ']') fail("expected ']' closing the range", pos_);
    ++pos_;
    if (lo > hi) fail("range has lo > hi", pos_);
    return Query::range(field, lo, hi);
  }

  std::int64_t number() {
    skip_space();
    std::int64_t v = 0;
    auto [end, error] = std::from_chars(text_.data() + pos_, text_.data() + text_.size(), v);
    if (error != std::errc()) fail("expected an integer", pos_);
    pos_ = static_cast<std::size_t>(end - text_.data());
    skip_space();
    return v;
  }

  std::string_view text_;
  std::size_t pos_ = 0;
  std::uint32_t depth_ = 0;  // NOTs and parentheses open at pos_
};

}  // namespace

Query Query::parse(std::string_view text) {
  return Parser(text).parse();
}

}  // namespace nadb
