#include "index/query_evaluator.hpp"

#include <algorithm>

namespace nadb::index {
namespace {

using Node = QueryNode;
using Kind = QueryNode::Kind;

std::int64_t field_value(const KeyFacts& f, RangeField field) {
  switch (field) {
    case RangeField::Size:
      return static_cast<std::int64_t>(f.size);
    case RangeField::CreatedAt:
      return f.created_ms;
    case RangeField::UpdatedAt:
      return f.updated_ms;
    case RangeField::ExpiresAt:
      return f.expires_ms;
  }
  return 0;
}

bool in_range(const Node& n, const KeyIdReader& reader, std::uint32_t id) {
  KeyFacts facts = reader.facts(id);
  if (n.field == RangeField::ExpiresAt && facts.expires_ms == 0) return false;  // never expires
  std::int64_t v = field_value(facts, n.field);
  return v >= n.min && v <= n.max;
}

// One key against the tree: the evaluator without an index.
bool matches(const Node& n, const KeyIdReader& reader, std::uint32_t id) {
  switch (n.kind) {
    case Kind::Tag: {
      auto tags = reader.tags(id);
      return std::binary_search(tags.begin(), tags.end(), std::string_view(n.text));
    }
    case Kind::KeyPrefix:
      return reader.key(id).substr(0, n.text.size()) == n.text;
    case Kind::KeyEquals:
      return reader.key(id) == n.text;
    case Kind::Range:
      return in_range(n, reader, id);
    case Kind::Not:
      return !matches(*n.children[0], reader, id);
    case Kind::And:
      return std::all_of(n.children.begin(), n.children.end(),
                         [&](const auto& c) { return matches(*c, reader, id); });
    case Kind::Or:
      return std::any_of(n.children.begin(), n.children.end(),
                         [&](const auto& c) { return matches(*c, reader, id); });
  }
  return false;
}

Roaring filter(const Roaring& candidates, const Node& range, const KeyIdReader& reader) {
  Roaring out;
  for (std::uint32_t id : candidates) {
    if (in_range(range, reader, id)) out.add(id);
  }
  return out;
}

Roaring on_bitmaps(const Node& n, const KeyIdReader& reader, const TagIndex& index) {
  switch (n.kind) {
    case Kind::Tag: {
      const Roaring* ids = index.postings(n.text);
      return ids ? *ids : Roaring();
    }
    case Kind::KeyPrefix: {
      Roaring out;
      reader.for_each_prefixed(n.text, [&](std::uint32_t id) {
        out.add(id);
        return true;
      });
      return out;
    }
    case Kind::KeyEquals: {
      Roaring out;
      if (auto id = reader.find(n.text)) out.add(*id);
      return out;
    }
    case Kind::Range:
      return filter(index.all(), n, reader);
    case Kind::Not:
      return index.all() - on_bitmaps(*n.children[0], reader, index);
    case Kind::Or: {
      Roaring out;
      for (const auto& c : n.children)
        out |= on_bitmaps(*c, reader, index);
      return out;
    }
    case Kind::And: {
      // Tag postings are used in place (no copy); other terms are evaluated; the smallest set
      // is intersected first, and range conditions filter what is left.
      std::vector<Roaring> owned;
      owned.reserve(n.children.size());
      std::vector<const Roaring*> sets;
      std::vector<const Node*> ranges;
      static const Roaring kEmpty;
      for (const auto& c : n.children) {
        if (c->kind == Kind::Range) {
          ranges.push_back(c.get());
        } else if (c->kind == Kind::Tag) {
          const Roaring* ids = index.postings(c->text);
          sets.push_back(ids ? ids : &kEmpty);
        } else {
          owned.push_back(on_bitmaps(*c, reader, index));
          sets.push_back(&owned.back());
        }
      }
      std::sort(sets.begin(), sets.end(), [](const Roaring* a, const Roaring* b) {
        return a->cardinality() < b->cardinality();
      });
      Roaring out = sets.empty() ? index.all() : sets.size() == 1 ? *sets[0] : *sets[0] & *sets[1];
      for (std::size_t i = 2; i < sets.size() && !out.isEmpty(); ++i)
        out &= *sets[i];
      for (const Node* range : ranges)
        out = filter(out, *range, reader);
      return out;
    }
  }
  return Roaring();
}

}  // namespace

Roaring evaluate(const QueryNode& node, const KeyIdReader& reader, const TagIndex* index,
                 std::int64_t now_ms) {
  Roaring expired;
  reader.for_each_expired(now_ms, [&](std::uint32_t id) { expired.add(id); });
  if (index != nullptr) return on_bitmaps(node, reader, *index) - expired;
  Roaring out;
  reader.for_each([&](std::uint32_t id) {
    if (!expired.contains(id) && matches(node, reader, id)) out.add(id);
  });
  return out;
}

std::vector<std::string> sorted_page(const Roaring& ids, const KeyIdReader& reader,
                                     std::size_t page, std::size_t page_size) {
  std::vector<std::string_view> keys;
  keys.reserve(ids.cardinality());
  for (std::uint32_t id : ids)
    keys.push_back(reader.key(id));
  std::size_t first = page - 1 > keys.size() / page_size
                          ? keys.size()
                          : std::min(keys.size(), (page - 1) * page_size);
  std::size_t last = std::min(keys.size(), first + page_size);
  // Keys often come in id order already sorted (ids follow insertion); otherwise only the
  // page needs ordering: select its first element, then sort just the page.
  if (!std::is_sorted(keys.begin(), keys.end())) {
    if (first == 0 && last == keys.size()) {
      std::sort(keys.begin(), keys.end());
    } else {
      auto begin = keys.begin() + static_cast<std::ptrdiff_t>(first);
      if (first > 0) std::nth_element(keys.begin(), begin, keys.end());
      std::partial_sort(begin, keys.begin() + static_cast<std::ptrdiff_t>(last), keys.end());
    }
  }
  return {keys.begin() + static_cast<std::ptrdiff_t>(first),
          keys.begin() + static_cast<std::ptrdiff_t>(last)};
}

}  // namespace nadb::index
