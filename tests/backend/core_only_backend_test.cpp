// A backend that implements only the core of StorageBackend and declares no facet: the store
// works on it, and what needs a facet says so (NotSupported) instead of failing otherwise.
#include <gtest/gtest.h>

#include "nadb/nadb.hpp"
#include "support/temp_dir.hpp"
#include "support/test_options.hpp"

namespace nadb::testing {
namespace {

// The memory backend's core, without its facets.
class CoreOnly final : public StorageBackend {
 public:
  explicit CoreOnly(std::shared_ptr<StorageBackend> inner) : inner_(std::move(inner)) {
    capabilities_ = inner_->capabilities();
    capabilities_.name = "core-only";
  }
  const BackendCapabilities& capabilities() const override { return capabilities_; }
  BatchResult apply(const WriteBatch& batch) override { return inner_->apply(batch); }
  std::optional<StoredRecord> get(std::string_view ns, std::string_view key, std::int64_t now_ms,
                                  bool with_tags) override {
    return inner_->get(ns, key, now_ms, with_tags);
  }
  std::optional<RecordMeta> get_meta(std::string_view ns, std::string_view key,
                                     std::int64_t now_ms) override {
    return inner_->get_meta(ns, key, now_ms);
  }
  KeyPage scan(std::string_view ns, std::string_view prefix, std::string_view cursor,
               std::size_t limit, std::int64_t now_ms) override {
    return inner_->scan(ns, prefix, cursor, limit, now_ms);
  }
  std::size_t count(std::string_view ns, std::int64_t now_ms) override {
    return inner_->count(ns, now_ms);
  }
  std::vector<std::string> namespaces() override { return inner_->namespaces(); }
  void flush() override { inner_->flush(); }
  CompactionReport compact(const ProgressCallback& progress) override {
    return inner_->compact(progress);
  }
  BackendStats stats() override { return inner_->stats(); }

 private:
  std::shared_ptr<StorageBackend> inner_;
  BackendCapabilities capabilities_;
};

TEST(CoreOnlyBackend, TheStoreWorksAndWhatNeedsAFacetSaysSo) {
  StorageFactory::register_backend("core-only", [](const Options& o) {
    Options memory = o;
    memory.backend = "memory";
    return std::make_shared<CoreOnly>(StorageFactory::create(memory));
  });
  TempDir dir;
  Options o = test_options(dir.path());
  o.backend = "core-only";
  KeyValueStore store(o);
  store.set("k", "v", {"t"});
  store.set_with_ttl("short", "v", std::chrono::seconds(60));
  EXPECT_EQ(store.get("k"), "v");
  EXPECT_EQ(store.count(), 2u);
  EXPECT_EQ(store.get_all_keys(), (std::vector<std::string>{"k", "short"}));
  EXPECT_EQ(store.cleanup_expired(), 0u);
  Stats stats = store.get_stats();
  EXPECT_EQ(stats.backend, "core-only");
  EXPECT_FALSE(stats.index.enabled);
  EXPECT_THROW(store.query(Query::tag("t")), NotSupported);
  EXPECT_THROW(store.create_backup(), NotSupported);
  store.flushdb();
  EXPECT_EQ(store.count(), 0u);
}

}  // namespace
}  // namespace nadb::testing
