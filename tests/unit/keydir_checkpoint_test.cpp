// Checkpoints: the keydir image rewritten during a session, once appends pause, so that an open
// after a crash replays only the log written since; a writer never waits for one to finish.
#include <gtest/gtest.h>

#include <cerrno>
#include <chrono>
#include <memory>
#include <thread>

#include "engine/engine.hpp"
#include "support/engine_helpers.hpp"
#include "support/temp_dir.hpp"
#include "util/file_system_hooks.hpp"
#include "util/files.hpp"

namespace nadb::testing {
namespace {

// Writes about `bytes` of log in puts of 4 KiB values that do not compress.
void write_log(engine::Engine& e, int first, std::uint64_t bytes) {
  std::uint64_t seed = 0x9e3779b97f4a7c15ull * static_cast<std::uint64_t>(first + 1);
  for (int i = first; i < first + static_cast<int>(bytes / 4096) + 1; ++i) {
    std::string value(4096, '\0');
    for (char& c : value) {
      seed = seed * 6364136223846793005ull + 1442695040888963407ull;
      c = static_cast<char>(seed >> 56);
    }
    apply(e, {put_op("k" + std::to_string(i), value)});
  }
}

std::string contents(engine::Engine& e) {
  std::string out;
  for (const auto& key : e.scan("ns", "", "", 1'000'000, 1'000'000).keys) {
    auto record = e.get("ns", key, 1'000'000, false);
    out += key + ":" + (record ? std::to_string(record->meta.version) : "-") + "\n";
  }
  return out;
}

TEST(KeydirCheckpoint, OnlyALongEnoughTailIsCheckpointed) {
  TempDir dir;
  auto e = engine::Engine::open(dir.sub("db"), small_segments(1 << 20));
  write_log(*e, 0, engine::Engine::kCheckpointMinTail / 4);
  EXPECT_TRUE(e->checkpoint());
  EXPECT_FALSE(util::path_exists(dir.sub("db/KEYDIR"))) << "an image for a short log";
  write_log(*e, 1000, engine::Engine::kCheckpointMinTail);
  EXPECT_TRUE(e->checkpoint());
  ASSERT_TRUE(util::path_exists(dir.sub("db/KEYDIR")));
  std::string image = util::read_file(dir.sub("db/KEYDIR"));
  apply(*e, {put_op("one", "more")});
  EXPECT_TRUE(e->checkpoint());
  EXPECT_EQ(util::read_file(dir.sub("db/KEYDIR")), image) << "rewritten for one write";
}

// The engine's own thread checkpoints once appends pause; a crash after that maps the image
// and replays only what followed it.
TEST(KeydirCheckpoint, AnOpenAfterACrashMapsTheLastCheckpoint) {
  TempDir dir;
  engine::EngineOptions options = small_segments(1 << 20);
  options.background_maintenance = true;
  auto e = engine::Engine::open(dir.sub("db"), options);
  write_log(*e, 0, 2 * engine::Engine::kCheckpointMinTail);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!util::path_exists(dir.sub("db/KEYDIR")) && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_TRUE(util::path_exists(dir.sub("db/KEYDIR"))) << "no checkpoint within a minute";
  apply(*e, {put_op("after", "the checkpoint"), remove_op("k3")});
  e->flush();
  std::string expected = contents(*e);
  copy_folder(dir.sub("db"), dir.sub("crashed"));
  auto crashed = engine::Engine::open(dir.sub("crashed"), small_segments(1 << 20));
  EXPECT_TRUE(crashed->keydir_image_used());
  EXPECT_EQ(contents(*crashed), expected);
}

// A compaction makes the image stale (an open would rebuild the keydir): its output counts
// as growth, so a checkpoint follows it even with no write since.
TEST(KeydirCheckpoint, ACompactionIsFollowedByACheckpoint) {
  TempDir dir;
  auto e = engine::Engine::open(dir.sub("db"), small_segments(1 << 20));
  write_log(*e, 0, engine::Engine::kCheckpointMinTail);
  write_log(*e, 0, engine::Engine::kCheckpointMinTail);  // the same keys: the first are dead
  ASSERT_TRUE(e->checkpoint());
  std::string image = util::read_file(dir.sub("db/KEYDIR"));
  ASSERT_GE(e->compact().bytes_after, engine::Engine::kCheckpointMinTail);
  EXPECT_TRUE(e->checkpoint());
  EXPECT_NE(util::read_file(dir.sub("db/KEYDIR")), image) << "no checkpoint after the compaction";
  std::string expected = contents(*e);
  copy_folder(dir.sub("db"), dir.sub("crashed"));
  auto crashed = engine::Engine::open(dir.sub("crashed"), small_segments(1 << 20));
  EXPECT_TRUE(crashed->keydir_image_used()) << "the image is stale";
  EXPECT_EQ(contents(*crashed), expected);
}

// Stands for a writer that arrives while a checkpoint writes: at the image's first file
// operation, starts a write and waits until it waits for the write lock.
class WriterArrives final : public util::FileSystemHooks {
 public:
  explicit WriterArrives(engine::Engine& e) : engine_(e) { util::install_file_system_hooks(this); }
  ~WriterArrives() override {
    util::install_file_system_hooks(nullptr);
    if (writer_.joinable()) writer_.join();
  }
  int before(const util::FileEvent& event) override {
    if (event.path.find("KEYDIR") == std::string_view::npos || writer_.joinable()) return 0;
    writer_ = std::thread([this] { apply(engine_, {put_op("arrived", "during it")}); });
    while (engine_.writers_waiting() == 0)
      std::this_thread::yield();
    return 0;
  }

 private:
  engine::Engine& engine_;
  std::thread writer_;
};

// A db whose last checkpoint (its bytes: image) is followed by enough log for the next.
std::shared_ptr<engine::Engine> checkpointed_then_grown(const std::string& db, std::string& image) {
  auto e = engine::Engine::open(db, small_segments(1 << 20));
  write_log(*e, 0, engine::Engine::kCheckpointMinTail);
  EXPECT_TRUE(e->checkpoint());
  image = util::read_file(db + "/KEYDIR");
  write_log(*e, 1000, engine::Engine::kCheckpointMinTail);
  return e;
}

TEST(KeydirCheckpoint, ACheckpointGivesWayToAWriterAndLeavesTheOldImage) {
  TempDir dir;
  std::string image;
  auto e = checkpointed_then_grown(dir.sub("db"), image);
  {
    WriterArrives writer(*e);
    EXPECT_FALSE(e->checkpoint()) << "the checkpoint did not give way";
  }
  EXPECT_TRUE(e->get("ns", "arrived", 0, false).has_value());
  EXPECT_EQ(util::read_file(dir.sub("db/KEYDIR")), image);
  EXPECT_FALSE(util::path_exists(dir.sub("db/KEYDIR.tmp")));
  EXPECT_TRUE(e->checkpoint());
  EXPECT_NE(util::read_file(dir.sub("db/KEYDIR")), image);
  std::string expected = contents(*e);
  e->flush();
  copy_folder(dir.sub("db"), dir.sub("crashed"));
  auto crashed = engine::Engine::open(dir.sub("crashed"), small_segments(1 << 20));
  EXPECT_TRUE(crashed->keydir_image_used());
  EXPECT_EQ(contents(*crashed), expected);
}

// Fails every write to the image's temp file as a full disk would.
class FullDiskForImages final : public util::FileSystemHooks {
 public:
  FullDiskForImages() { util::install_file_system_hooks(this); }
  ~FullDiskForImages() override { util::install_file_system_hooks(nullptr); }
  int before(const util::FileEvent& event) override {
    bool image_write =
        event.op == util::FileOp::Write && event.path.find("KEYDIR.tmp") != std::string_view::npos;
    return image_write ? ENOSPC : 0;
  }
};

// A checkpoint that cannot be written says so (the maintenance thread then waits for a longer
// pause before the next), and leaves the old image and no temp file; writes go on.
TEST(KeydirCheckpoint, ACheckpointThatCannotBeWrittenLeavesTheOldImage) {
  TempDir dir;
  std::string image;
  auto e = checkpointed_then_grown(dir.sub("db"), image);
  {
    FullDiskForImages full;
    EXPECT_FALSE(e->checkpoint());
    apply(*e, {put_op("still", "writable")});
  }
  EXPECT_EQ(util::read_file(dir.sub("db/KEYDIR")), image);
  EXPECT_FALSE(util::path_exists(dir.sub("db/KEYDIR.tmp")));
  EXPECT_TRUE(e->checkpoint());
  EXPECT_NE(util::read_file(dir.sub("db/KEYDIR")), image);
  EXPECT_TRUE(e->get("ns", "still", 0, false).has_value());
}

}  // namespace
}  // namespace nadb::testing
