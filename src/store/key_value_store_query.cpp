// KeyValueStore's query operations: tag lists and conditions become a Query, evaluated by
// StoreCore::run_query.
#include <limits>

#include "index/query_evaluator.hpp"
#include "index/query_node.hpp"
#include "nadb/errors.hpp"
#include "nadb/store.hpp"
#include "store/store_core.hpp"

namespace nadb {

using store::StoreCore;
using store::StoreOp;
namespace {

Query of_tags(index::QueryNode::Kind kind, const std::vector<std::string>& tags) {
  if (tags.empty()) throw InvalidArgument("the tag list is empty");
  std::vector<Query> parts;
  parts.reserve(tags.size());
  for (const std::string& tag : tags)
    parts.push_back(Query::tag(tag));
  return index::combine_all(kind, parts);  // one node: joining pairwise copied it each time
}

Query any_of(const std::vector<std::string>& tags) {
  return of_tags(index::QueryNode::Kind::Or, tags);
}
Query all_of(const std::vector<std::string>& tags) {
  return of_tags(index::QueryNode::Kind::And, tags);
}

Query value_condition(const Condition& c) {
  constexpr auto kMin = std::numeric_limits<std::int64_t>::min();
  constexpr auto kMax = std::numeric_limits<std::int64_t>::max();
  if (c.op == "range") {
    if (!c.min && !c.max)
      throw InvalidArgument("condition on " + c.field + ": range needs min or max");
    return Query::range(c.field, c.min.value_or(kMin), c.max.value_or(kMax));
  }
  if (c.op == "eq") {
    if (!c.min) throw InvalidArgument("condition on " + c.field + ": eq needs min (the value)");
    return Query::range(c.field, *c.min, *c.min);
  }
  throw InvalidArgument("condition on " + c.field + ": unknown op '" + c.op + "' (range, eq)");
}

Query key_condition(const Condition& c) {
  if (c.values.empty()) throw InvalidArgument("condition on key: no values");
  if (c.op == "prefix") return Query::key_prefix(c.values[0]);
  if (c.op == "eq") return Query::key_equals(c.values[0]);
  if (c.op == "in") {
    std::vector<Query> parts;
    for (const std::string& key : c.values)
      parts.push_back(Query::key_equals(key));
    return index::combine_all(index::QueryNode::Kind::Or, parts);
  }
  throw InvalidArgument("condition on key: unknown op '" + c.op + "' (prefix, eq, in)");
}

Query to_query(const Condition& c) {
  if (c.field == "tags") {
    if (c.op == "and") return all_of(c.values);
    if (c.op == "or") return any_of(c.values);
    if (c.op == "not") return !any_of(c.values);
    throw InvalidArgument("condition on tags: unknown op '" + c.op + "' (and, or, not)");
  }
  if (c.field == "key") return key_condition(c);
  if (c.field == "size" || c.field == "created_at" || c.field == "updated_at" ||
      c.field == "expires_at") {
    return value_condition(c);
  }
  throw InvalidArgument("unknown condition field '" + c.field +
                        "' (tags, key, size, created_at, updated_at, expires_at)");
}

}  // namespace

std::vector<std::string> KeyValueStore::query_by_tags(const std::vector<std::string>& tags) {
  return core_->run(StoreOp::QueryByTags,
                    [&] { return core_->run_query(all_of(tags), 1, StoreCore::kEveryKey).keys; });
}

QueryResult KeyValueStore::query_by_tags_advanced(const std::vector<std::string>& tags,
                                                  TagOperator op, std::size_t page,
                                                  std::size_t page_size) {
  return core_->run(StoreOp::QueryByTagsAdvanced, [&] {
    Query q = op == TagOperator::And  ? all_of(tags)
              : op == TagOperator::Or ? any_of(tags)
                                      : !any_of(tags);
    return core_->run_query(q, page, page_size);
  });
}

QueryResult KeyValueStore::complex_query(const std::vector<Condition>& conditions, std::size_t page,
                                         std::size_t page_size) {
  return core_->run(StoreOp::ComplexQuery, [&] {
    if (conditions.empty()) throw InvalidArgument("complex_query needs at least one condition");
    std::vector<Query> parts;
    for (const Condition& c : conditions)
      parts.push_back(to_query(c));
    return core_->run_query(index::combine_all(index::QueryNode::Kind::And, parts), page,
                            page_size);
  });
}

QueryResult KeyValueStore::query(const Query& q, std::size_t page, std::size_t page_size) {
  return core_->run(StoreOp::RunQuery, [&] { return core_->run_query(q, page, page_size); });
}

std::map<std::string, std::size_t> KeyValueStore::list_all_tags() {
  return core_->run(StoreOp::ListAllTags, [&] {
    std::int64_t now = util::now_ms();
    if (!core_->index_) return core_->server_queries().tag_counts(core_->options_.ns, now);
    std::map<std::string, std::size_t> counts;
    core_->backend_->facets().local_indexing->read_index(
        core_->options_.ns, [&](const KeyIdReader& reader) {
          Roaring expired;
          reader.for_each_expired(now, [&](std::uint32_t id) { expired.add(id); });
          if (const index::TagIndex* tags = core_->index_->tag_index()) {
            tags->for_each_tag([&](const std::string& tag, const Roaring& ids) {
              std::size_t live = ids.cardinality() - ids.and_cardinality(expired);
              if (live > 0) counts[tag] = live;
            });
            return;
          }
          reader.for_each([&](std::uint32_t id) {
            if (expired.contains(id)) return;
            for (auto tag : reader.tags(id))
              ++counts[std::string(tag)];
          });
        });
    return counts;
  });
}

void KeyValueStore::optimize_indexes() {
  core_->run(StoreOp::OptimizeIndexes, [&] {
    if (core_->index_) core_->attach_index(true);  // a rebuild leaves compact bitmaps
    core_->cache_->clear();
  });
}

void KeyValueStore::rebuild_indexes() {
  core_->run(StoreOp::RebuildIndexes, [&] {
    if (core_->index_) core_->attach_index(true);
  });
}

void KeyValueStore::clear_caches() {
  std::shared_lock lock(core_->lifecycle_mutex_);
  core_->cache_->clear();
}

}  // namespace nadb
