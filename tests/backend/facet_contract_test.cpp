// The facets a backend declares (nadb/backend_facets.hpp), each checked where it is declared;
// and the declarations themselves agree with the capabilities.
#include <map>
#include <set>

#include "backend/backend_kit.hpp"

namespace nadb::testing {
namespace {

class FacetContract : public BackendKit {
 protected:
  BackendFacets facets() { return backend_->facets(); }
};
NADB_BACKEND_KIT_SUITE(FacetContract);

// Each facet's suite runs on the backends that declare it.
#define NADB_FACET_SUITE(Suite, facet)                                                    \
  class Suite : public FacetContract {};                                                  \
  INSTANTIATE_TEST_SUITE_P(Backends, Suite,                                               \
                           ::testing::ValuesIn(kit_backends_with(&BackendFacets::facet)), \
                           [](const auto& param_info) { return param_info.param.name; })

NADB_FACET_SUITE(LocalIndexingContract, local_indexing);
NADB_FACET_SUITE(PhysicalFilesContract, physical_files);
NADB_FACET_SUITE(ChangeLogContract, change_log);
NADB_FACET_SUITE(StagingAreaContract, staging_area);
NADB_FACET_SUITE(ServerQueriesContract, server_queries);

// Keeps what an index is told: the tags of each live id.
class RecordingSink final : public IndexSink {
 public:
  void on_change(std::uint32_t id, const std::vector<std::string_view>* before,
                 const std::vector<std::string_view>* after) override {
    if (before == nullptr) {
      EXPECT_EQ(tags_.count(id), 0u) << "id " << id << " added twice";
    }
    if (after == nullptr) {
      tags_.erase(id);
    } else {
      tags_[id] = std::vector<std::string>(after->begin(), after->end());
    }
  }
  void clear() override { tags_.clear(); }
  std::map<std::uint32_t, std::vector<std::string>> tags_;
};

TEST_P(FacetContract, DeclarationsAgreeWithCapabilities) {
  BackendFacets f = facets();
  EXPECT_EQ(f.physical_files != nullptr, backend_->capabilities().physical_backups);
  // Queries are answerable: by a local index the store keeps, or by the backend.
  EXPECT_TRUE(f.local_indexing != nullptr || f.server_queries != nullptr);
  EXPECT_FALSE(f.local_indexing != nullptr && f.server_queries != nullptr);
  // A logical restore needs both a staging area and a change log's clock.
  EXPECT_EQ(f.staging_area != nullptr, f.change_log != nullptr);
}

TEST_P(LocalIndexingContract, ALocalIndexIsToldEveryChangeAndReadsLikeTheData) {
  LocalIndexing* local = facets().local_indexing;
  put("n", "before", "v", {"a"});
  auto sink = std::make_shared<RecordingSink>();
  EXPECT_EQ(local->attach_index("n", sink, false), sink);
  EXPECT_EQ(local->attach_index("n", std::make_shared<RecordingSink>(), false), sink);  // shared
  EXPECT_TRUE(sink->tags_.empty()) << "replayed before a read needed it";
  local->read_index("n", [&](const KeyIdReader&) {
    ASSERT_EQ(sink->tags_.size(), 1u);  // the replay
  });
  std::int64_t at = now();
  put("n", "b", "vv", {"a", "b"}, at + 60000);
  put("n", "c", "v", {}, at + 10);
  apply({op_of(WriteOp::Kind::Remove, "n", "before")});
  local->read_index("n", [&](const KeyIdReader& reader) {
    std::set<std::string> keys;
    reader.for_each([&](std::uint32_t id) { keys.insert(std::string(reader.key(id))); });
    EXPECT_EQ(keys, (std::set<std::string>{"b", "c"}));
    ASSERT_EQ(sink->tags_.size(), 2u);
    for (const auto& [id, tags] : sink->tags_) {
      std::vector<std::string_view> views = reader.tags(id);
      std::vector<std::string> read(views.begin(), views.end());
      EXPECT_EQ(read, tags) << reader.key(id);
    }
    auto b = reader.find("b");
    ASSERT_TRUE(b);
    EXPECT_EQ(reader.facts(*b).size, 2u);
    EXPECT_EQ(reader.facts(*b).expires_ms, at + 60000);
    EXPECT_FALSE(reader.find("before"));
    std::vector<std::string> expired;
    reader.for_each_expired(
        at + 20, [&](std::uint32_t id) { expired.push_back(std::string(reader.key(id))); });
    EXPECT_EQ(expired, std::vector<std::string>{"c"});
    EXPECT_EQ(reader.next_expiry_after(at + 20), at + 60000);
    EXPECT_EQ(reader.next_expiry_after(at + 60000), 0);
    std::vector<std::string> prefixed;
    reader.for_each_prefixed("", [&](std::uint32_t id) {
      prefixed.push_back(std::string(reader.key(id)));
      return true;
    });
    EXPECT_EQ(prefixed, (std::vector<std::string>{"b", "c"}));
  });
  apply({op_of(WriteOp::Kind::Clear, "n", "")});
  EXPECT_TRUE(sink->tags_.empty());
}

TEST_P(PhysicalFilesContract, ASnapshotHoldsEveryAcknowledgedWrite) {
  PhysicalFiles* files = facets().physical_files;
  put("n", "a", "1");
  put("n", "b", "2");
  put("m", "c", "3");
  Snapshot snapshot = files->snapshot();
  EXPECT_EQ(snapshot.keys_by_namespace["n"], 2u);
  EXPECT_EQ(snapshot.keys_by_namespace["m"], 1u);
  ASSERT_FALSE(snapshot.files.empty());
  std::uint64_t bytes = 0;
  for (const auto& file : snapshot.files) {
    std::string head;
    file.read(0, static_cast<std::size_t>(std::min<std::uint64_t>(file.size, 16)), head);
    EXPECT_EQ(head.size(), std::min<std::uint64_t>(file.size, 16)) << file.name;
    EXPECT_EQ(file.sha256().size(), 64u);
    bytes += file.size;
  }
  EXPECT_GT(bytes, 0u);
}

TEST_P(ChangeLogContract, AChangeLogNamesWhatChangedSinceAnInstant) {
  ChangeLog* log = facets().change_log;
  put("n", "old", "v");
  put("n", "doomed", "v");
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  std::int64_t since = log->change_clock_ms();
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  put("n", "new", "v");
  apply({op_of(WriteOp::Kind::Remove, "n", "doomed")});
  ChangeSet changes = log->changes_since("n", since);
  EXPECT_EQ(changes.updated, std::vector<std::string>{"new"});
  EXPECT_EQ(changes.deleted, std::vector<std::string>{"doomed"});
  EXPECT_LE(changes.complete_since_ms, since);
}

TEST_P(StagingAreaContract, AStagingAreaIsSwappedInWhole) {
  StagingArea* area = facets().staging_area;
  put("n", "kept-out", "old");
  put("n", "both", "old");
  std::string staging = area->create_staging("n");
  put(staging, "both", "new");
  put(staging, "only-new", "new");
  EXPECT_EQ(value(staging, "both"), "new");
  EXPECT_EQ(value("n", "both"), "old");  // invisible until swapped in
  auto names = backend_->namespaces();
  EXPECT_EQ(std::find(names.begin(), names.end(), staging), names.end());
  area->swap_in_staging("n", staging);
  EXPECT_EQ(all_keys("n"), (std::vector<std::string>{"both", "only-new"}));
  EXPECT_EQ(value("n", "both"), "new");
  std::string dropped = area->create_staging("n");
  put(dropped, "x", "y");
  area->drop_staging("n", dropped);
  EXPECT_TRUE(all_keys(dropped).empty());
  EXPECT_EQ(all_keys("n"), (std::vector<std::string>{"both", "only-new"}));
}

TEST_P(ServerQueriesContract, ServerQueriesAnswerLikeTheData) {
  ServerQueries* queries = facets().server_queries;
  put("n", "b", "v", {"red"});
  put("n", "a", "v", {"red", "big"});
  put("n", "c", "v", {"big"});
  std::uint64_t generation = queries->write_generation("n");
  ServerQueryPage page =
      queries->query("n", Query::parse("tag:red"), 1, ServerQueries::kEveryKey, now());
  EXPECT_EQ(page.result.keys, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(page.result.total_count, 2u);
  EXPECT_EQ(queries->tag_counts("n", now()),
            (std::map<std::string, std::size_t>{{"big", 2}, {"red", 2}}));
  put("n", "d", "v", {"red"});
  EXPECT_NE(queries->write_generation("n"), generation);
  page = queries->query("n", Query::parse("tag:red AND NOT tag:big"), 1, 10, now());
  EXPECT_EQ(page.result.keys, (std::vector<std::string>{"b", "d"}));
}

}  // namespace
}  // namespace nadb::testing
