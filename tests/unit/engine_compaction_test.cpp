// Compaction: reclaims dead records, keeps every live one, survives reopen and interruption.
#include <fcntl.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <random>

#include "support/engine_helpers.hpp"
#include "support/temp_dir.hpp"
#include "util/checksum.hpp"
#include "util/files.hpp"
#include "util/varint.hpp"

namespace nadb::testing {
namespace {

namespace fs = std::filesystem;

void expect_model(engine::Engine& e, const std::map<std::string, std::string>& model,
                  int key_space) {
  for (int i = 0; i < key_space; ++i) {
    std::string key = "k" + std::to_string(i);
    auto it = model.find(key);
    auto value = value_of(e, key);
    if (it == model.end()) {
      ASSERT_FALSE(value) << key;
    } else {
      ASSERT_EQ(value, it->second) << key;
    }
  }
  EXPECT_EQ(e.count("ns", 1'000'000), model.size());
}

// Overwrites and deletes over few keys, so most records die.
std::map<std::string, std::string> churn(engine::Engine& e, int key_space, int writes,
                                         unsigned seed) {
  std::map<std::string, std::string> model;
  std::mt19937 rng(seed);
  for (int i = 0; i < writes; ++i) {
    std::string key = "k" + std::to_string(rng() % key_space);
    if (rng() % 5 == 0) {
      apply(e, {remove_op(key)});
      model.erase(key);
    } else {
      std::string value(50 + rng() % 200, static_cast<char>('a' + i % 26));
      apply(e, {put_op(key, value, {"t" + std::to_string(i % 3)})});
      model[key] = value;
    }
  }
  return model;
}

TEST(EngineCompaction, FullCompactionReclaimsSpaceAndKeepsLiveData) {
  TempDir dir;
  auto e = engine::Engine::open(dir.path(), small_segments());
  auto model = churn(*e, 200, 20000, 1);
  std::uint64_t before = e->stats().disk_bytes;
  CompactionReport report = e->compact();
  EXPECT_GT(report.segments_compacted, 1u);
  EXPECT_GT(report.records_dropped, 0u);
  EXPECT_LT(e->stats().disk_bytes, before / 4);
  expect_model(*e, model, 200);
  e.reset();
  auto reopened = engine::Engine::open(dir.path(), small_segments());
  expect_model(*reopened, model, 200);
  // Nothing is left to reclaim: a second compaction does nothing.
  EXPECT_EQ(reopened->compact().segments_compacted, 0u);
}

TEST(EngineCompaction, DeletedKeysStayDeletedAfterPartialCompaction) {
  TempDir dir;
  engine::EngineOptions options = small_segments();
  options.compaction_dead_ratio = 0.3;
  options.background_maintenance = true;
  std::map<std::string, std::string> model;
  {
    auto e = engine::Engine::open(dir.path(), options);
    model = churn(*e, 300, 15000, 2);
    // Let the background thread write hints and compact by dead ratio.
    for (int i = 0; i < 40 && e->stats().compactions == 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    EXPECT_GT(e->stats().compactions, 0u);
    expect_model(*e, model, 300);
  }
  auto e = engine::Engine::open(dir.path(), small_segments());
  expect_model(*e, model, 300);
}

TEST(EngineCompaction, WritesDuringCompactionAreNotLost) {
  TempDir dir;
  auto e = engine::Engine::open(dir.path(), small_segments());
  auto model = churn(*e, 500, 10000, 3);
  std::thread writer([&] {
    for (int i = 0; i < 3000; ++i)
      apply(*e, {put_op("k" + std::to_string(i % 500), "late" + std::to_string(i))});
  });
  e->compact();
  writer.join();
  for (int i = 0; i < 3000; ++i)
    model["k" + std::to_string(i % 500)] = "late" + std::to_string(i);
  expect_model(*e, model, 500);
  e.reset();
  auto reopened = engine::Engine::open(dir.path(), small_segments());
  expect_model(*reopened, model, 500);
}

TEST(EngineCompaction, InterruptedSwapIsFinishedAtOpen) {
  TempDir dir;
  std::map<std::string, std::string> model;
  std::vector<std::string> old_segments;
  {
    auto e = engine::Engine::open(dir.path(), small_segments());
    model = churn(*e, 100, 5000, 4);
  }
  // Simulate a crash right after a compaction made its marker durable but before it deleted
  // what it replaced: copy the db, compact the copy, then restore the old files next to it.
  TempDir copy;
  fs::copy(dir.path(), copy.path(),
           fs::copy_options::recursive | fs::copy_options::overwrite_existing);
  {
    auto e = engine::Engine::open(dir.path(), small_segments());
    e->compact();
  }
  std::vector<std::uint32_t> replaced;
  for (const auto& name : util::list_directory(copy.path())) {
    if (!fs::exists(dir.sub(name)) && name.ends_with(".seg")) {
      fs::copy_file(copy.sub(name), dir.sub(name));
      replaced.push_back(*engine::parse_segment_file_name(name));
    }
  }
  ASSERT_FALSE(replaced.empty());
  std::string marker;
  util::put_varint(marker, replaced.size());
  for (auto id : replaced)
    util::put_varint(marker, id);
  util::put_fixed<std::uint64_t>(marker, util::checksum(marker));
  {
    util::File f(dir.sub("OBSOLETE"), O_WRONLY | O_CREAT | O_TRUNC);
    f.write_at(0, marker);
  }
  auto e = engine::Engine::open(dir.path(), small_segments());
  expect_model(*e, model, 100);
  EXPECT_FALSE(fs::exists(dir.sub("OBSOLETE")));
  for (auto id : replaced)
    EXPECT_FALSE(fs::exists(dir.sub(engine::segment_file_name(id))));
}

TEST(EngineCompaction, SegmentsRollAtTheSizeLimit) {
  TempDir dir;
  auto e = engine::Engine::open(dir.path(), small_segments(64 << 10));
  for (int i = 0; i < 3000; ++i)
    apply(*e, {put_op("k" + std::to_string(i), std::string(100, 'x'))});
  BackendStats s = e->stats();
  EXPECT_GE(s.segments, 4u);
  for (const auto& name : util::list_directory(dir.path())) {
    if (name.ends_with(".seg")) {
      EXPECT_LE(fs::file_size(dir.sub(name)), (64u << 10) + 200);
    }
  }
}

}  // namespace
}  // namespace nadb::testing
