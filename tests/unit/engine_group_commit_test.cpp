// Durability::Sync with group commit: concurrent writers share fsyncs, and every write is
// durable when it returns.
#include <gtest/gtest.h>

#include <thread>

#include "support/engine_helpers.hpp"
#include "support/temp_dir.hpp"

namespace nadb::testing {
namespace {

TEST(GroupCommit, ConcurrentSyncWritersShareFsyncs) {
  TempDir dir;
  auto e = engine::Engine::open(dir.path(), small_segments(1 << 20));
  std::uint64_t before = e->stats().fsyncs;
  constexpr int kThreads = 8, kWrites = 100;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kWrites; ++i) {
        apply(*e, {put_op("t" + std::to_string(t) + "/" + std::to_string(i), "v")}, /*sync=*/true);
      }
    });
  }
  for (auto& t : threads)
    t.join();
  std::uint64_t fsyncs = e->stats().fsyncs - before;
  EXPECT_GE(fsyncs, 1u);
  // Each writer waits for its own fsync, so while one runs the others queue behind it and
  // the next fsync covers all of them.
  EXPECT_LT(fsyncs, static_cast<std::uint64_t>(kThreads * kWrites) * 3 / 4) << fsyncs;
  EXPECT_EQ(e->stats().buffered_bytes, 0u);  // nothing acknowledged is left unwritten
}

TEST(GroupCommit, BufferedWritesAreNotFsyncedOneByOne) {
  TempDir dir;
  auto e = engine::Engine::open(dir.path(), small_segments(1 << 20));
  std::uint64_t before = e->stats().fsyncs;
  for (int i = 0; i < 1000; ++i)
    apply(*e, {put_op("k" + std::to_string(i), "v")});
  EXPECT_EQ(e->stats().fsyncs, before);
  EXPECT_GT(e->stats().buffered_bytes, 0u);
  e->flush();
  EXPECT_EQ(e->stats().fsyncs, before + 1);
  EXPECT_EQ(e->stats().buffered_bytes, 0u);
}

}  // namespace
}  // namespace nadb::testing
