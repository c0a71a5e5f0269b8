// A Redis server killed (SIGKILL) in the middle of a batch, a backup and a restore: every
// operation completes or fails cleanly, nothing is half applied, and everything works once
// the server is back. The server keeps an append-only file fsynced per write, so what it
// acknowledged survives its restart.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include "nadb/nadb.hpp"
#include "support/redis_server.hpp"
#include "support/temp_dir.hpp"

namespace nadb::testing {
namespace {

using namespace std::chrono_literals;

class RedisOutage : public ::testing::Test {
 protected:
  Options options() const {
    Options o = redis_store_options(server_, "main");
    o.data_folder = dir_.path();
    o.redis.connect_timeout = 500ms;
    return o;
  }
  // Restarts the server, then waits until the store answers again (the pool backs off).
  void restart_and_wait(KeyValueStore& s) {
    server_.start();
    auto deadline = std::chrono::steady_clock::now() + 15s;
    for (;;) {
      try {
        s.exists("any");
        return;
      } catch (const BackendUnavailable&) {
        if (std::chrono::steady_clock::now() > deadline) throw;
        std::this_thread::sleep_for(50ms);
      }
    }
  }

  RedisServer server_{{"--appendonly", "yes", "--appendfsync", "always"}};
  TempDir dir_;
};

TEST_F(RedisOutage, EveryBatchIsAllOrNothingAcrossAKill) {
  KeyValueStore s(options());
  std::atomic<bool> killed{false};
  std::thread killer([&] {
    std::this_thread::sleep_for(300ms);
    server_.stop();
    killed = true;
  });
  int batches = 0;
  for (; !killed || batches == 0; ++batches) {
    std::vector<BatchItem> items;
    for (int i = 0; i < 50; ++i)
      items.push_back({"b" + std::to_string(batches) + ":" + std::to_string(i), "v", {"t"}, {}});
    try {
      s.batch_set(items);
    } catch (const BackendUnavailable&) {
      break;
    }
  }
  killer.join();
  restart_and_wait(s);
  for (int b = 0; b <= batches; ++b) {
    std::size_t found = s.scan("b" + std::to_string(b) + ":", "", 1000).keys.size();
    EXPECT_TRUE(found == 0 || found == 50) << "batch " << b << " is half applied: " << found;
  }
  EXPECT_EQ(s.query_by_tags({"t"}).size() % 50, 0u);
}

TEST_F(RedisOutage, ABackupCutShortLeavesNoBackupAndTheNextOneWorks) {
  KeyValueStore s(options());
  for (int i = 0; i < 3000; ++i)
    s.set("k" + std::to_string(i), "v");
  s.create_backup("before");
  EXPECT_THROW(s.create_backup("cut", false,
                               [&](std::size_t done, std::size_t) {
                                 if (done >= 1000 && server_.running()) server_.stop();
                               }),
               BackendUnavailable);
  restart_and_wait(s);
  ASSERT_EQ(s.list_backups().size(), 1u);
  EXPECT_FALSE(std::filesystem::exists(dir_.sub("backups/db@redis/cut")));
  s.create_backup("after");
  EXPECT_TRUE(s.verify_backup("after"));
}

TEST_F(RedisOutage, ARestoreCutShortLeavesTheOldDataWholeAndTheNextOneWorks) {
  KeyValueStore s(options());
  for (int i = 0; i < 3000; ++i)
    s.set("k" + std::to_string(i), "backed up");
  s.create_backup("F", false);
  for (int i = 0; i < 3000; ++i)
    s.set("k" + std::to_string(i), "current");
  EXPECT_THROW(s.restore_backup("F", true, true,
                                [&](std::size_t done, std::size_t) {
                                  if (done >= 1000 && server_.running()) server_.stop();
                                }),
               BackendUnavailable);
  restart_and_wait(s);
  EXPECT_EQ(s.get_all_keys().size(), 3000u);
  EXPECT_EQ(s.get("k0"), "current");
  EXPECT_EQ(s.get("k2999"), "current");
  s.restore_backup("F", true, true);
  EXPECT_EQ(s.get("k0"), "backed up");
  EXPECT_EQ(s.get_all_keys().size(), 3000u);
}

}  // namespace
}  // namespace nadb::testing
