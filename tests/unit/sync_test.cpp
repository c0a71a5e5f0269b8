// KeyValueSync and the store's own flusher: buffered writes become durable by time and on stop.
#include <sys/wait.h>
#include <unistd.h>

#include <thread>

#include "conformance/store_fixture.hpp"

namespace nadb::testing {
namespace {

using namespace std::chrono_literals;

enum class Flusher { StoresOwn, UserSync, UserSyncStopped };

// Writes in a child that then dies without closing anything; returns what survived.
std::optional<std::string> write_then_die(const Options& options, std::chrono::milliseconds wait,
                                          Flusher flusher) {
  pid_t pid = ::fork();
  if (pid == 0) {
    Options o = options;
    if (flusher != Flusher::StoresOwn) {
      o.sync = std::make_shared<KeyValueSync>(options.flush_interval);
      o.sync->start();
    }
    auto* store = new KeyValueStore(o);  // never destroyed: no flush at close
    store->set("k", "v");
    std::this_thread::sleep_for(wait);
    if (flusher == Flusher::UserSyncStopped) o.sync->stop();
    ::_exit(0);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  KeyValueStore reopened(options);
  return reopened.get("k");
}

class SyncTest : public ::testing::Test {
 protected:
  Options options() {
    Options o = test_options(dir_.path());
    o.flush_interval = 200ms;
    return o;
  }
  TempDir dir_;
};

TEST_F(SyncTest, StoreFlushesEveryIntervalByItself) {
  EXPECT_EQ(write_then_die(options(), 600ms, Flusher::StoresOwn), "v");
}

TEST_F(SyncTest, UserSyncFlushesEveryInterval) {
  EXPECT_EQ(write_then_die(options(), 600ms, Flusher::UserSync), "v");
}

TEST_F(SyncTest, StopFlushesEverything) {
  Options o = options();
  o.flush_interval = 60s;
  EXPECT_EQ(write_then_die(o, 0ms, Flusher::UserSyncStopped), "v");
}

TEST_F(SyncTest, WithoutAFlushUnflushedWritesAreLostOnKill) {
  // The control for the tests above: with a long interval and no stop, a kill loses the write
  // (a process crash keeps what was written to the OS, and here nothing was).
  Options o = options();
  o.flush_interval = 60s;
  EXPECT_EQ(write_then_die(o, 0ms, Flusher::UserSync), std::nullopt);
}

TEST_F(SyncTest, StatusCountsRoundsAndSweeps) {
  auto sync = std::make_shared<KeyValueSync>(100ms);
  Options o = options();
  o.sync = sync;
  KeyValueStore store(o);
  store.set_with_ttl("short", "v", 1s);
  sync->start();
  std::this_thread::sleep_for(1400ms);
  SyncStatus status = sync->status();
  EXPECT_TRUE(status.running);
  EXPECT_EQ(status.stores, 1u);
  EXPECT_GE(status.rounds, 3u);
  EXPECT_EQ(status.expired_removed, 1u);
  sync->stop();
  EXPECT_FALSE(sync->status().running);
}

TEST_F(SyncTest, StoreDestructorFlushesWithoutSync) {
  Options o = options();
  o.flush_interval = 60s;
  {
    KeyValueStore store(o);
    store.set("k", "v");
  }
  KeyValueStore reopened(o);
  EXPECT_EQ(reopened.get("k"), "v");
}

}  // namespace
}  // namespace nadb::testing
