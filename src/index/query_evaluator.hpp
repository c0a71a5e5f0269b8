// Evaluation of a Query against one namespace, under the backend's read lock.
#pragma once

#include <roaring/roaring.hh>

#include <cstdint>
#include <string>
#include <vector>

#include "index/query_node.hpp"
#include "index/tag_index.hpp"
#include "nadb/backend_facets.hpp"

namespace nadb::index {

// The ids matching node at now_ms; keys expired at now_ms never match. With an index the
// tree is evaluated on bitmaps (range and key conditions filter the smallest candidate set);
// without one (index == nullptr) every key is tested.
Roaring evaluate(const QueryNode& node, const KeyIdReader& reader, const TagIndex* index,
                 std::int64_t now_ms);

// The keys of ids sorted by key bytes, only those of the 1-based page.
std::vector<std::string> sorted_page(const Roaring& ids, const KeyIdReader& reader,
                                     std::size_t page, std::size_t page_size);

}  // namespace nadb::index
