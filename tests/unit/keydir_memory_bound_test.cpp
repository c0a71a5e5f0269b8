// EngineOptions::keydir_memory_bytes: once the keydir holds more memory than the bound beyond
// its mapped image, a checkpoint rewrites the image — without waiting for a pause — and the
// keydir maps it instead; everything reads as before, the tag index included.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "nadb/errors.hpp"
#include "support/engine_helpers.hpp"
#include "support/keydir_image_helpers.hpp"
#include "support/temp_dir.hpp"
#include "util/copied_pages.hpp"
#include "util/files.hpp"

namespace nadb::testing {
namespace {

// Small segments and a 1 MiB bound.
engine::EngineOptions bounded() {
  engine::EngineOptions options = small_segments(1 << 20);
  options.keydir_memory_bytes = 1 << 20;
  return options;
}

// A db of 12,000 keys of every kind (fill), over half the bound, with no image yet.
std::shared_ptr<engine::Engine> filled(TempDir& dir, const engine::EngineOptions& options) {
  auto e = engine::Engine::open(dir.sub("db"), options);
  fill(*e, 0, 12000);
  return e;
}

// What the index attached to "ns" holds now (not attached again: as a store queries it).
std::map<std::string, std::set<std::string>> postings(engine::Engine& e,
                                                      const RecordingIndex& index) {
  std::map<std::string, std::set<std::string>> out;
  e.read_index("ns", [&](const KeyIdReader& reader) { out = index.postings(reader); });
  return out;
}

// Pages of a private file mapping that were only read stay the file's; written ones are copies.
TEST(CopiedPages, CountsTheWrittenPagesOfAPrivateMapping) {
  TempDir dir;
  const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  util::write_file_atomically(dir.sub("f"), std::string(64 * page, 'x'));
  util::File file(dir.sub("f"), O_RDONLY);
  void* p = ::mmap(nullptr, 64 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE, file.fd(), 0);
  ASSERT_NE(p, MAP_FAILED);
  auto* bytes = static_cast<volatile char*>(p);
  std::size_t sum = 0;
  for (std::size_t i = 0; i < 64 * page; i += page)
    sum += static_cast<std::size_t>(bytes[i]);
  EXPECT_EQ(sum, 64u * 'x');
  EXPECT_EQ(util::copied_bytes(p, 64 * page), std::optional<std::uint64_t>(0));
  bytes[3 * page] = 'y';
  bytes[10 * page + 7] = 'y';
  bytes[11 * page] = 'y';
  EXPECT_EQ(util::copied_bytes(p, 64 * page), std::optional<std::uint64_t>(3 * page));
  EXPECT_EQ(util::copied_bytes(static_cast<char*>(p) + 4 * page, 6 * page),
            std::optional<std::uint64_t>(0));
  ::munmap(p, 64 * page);
}

TEST(KeydirMemoryBound, ABoundBelow64KiBIsRefusedAndCreatesNothing) {
  TempDir dir;
  engine::EngineOptions options = small_segments();
  options.keydir_memory_bytes = 1000;
  try {
    engine::Engine::open(dir.sub("db"), options);
    FAIL() << "a bound of 1000 bytes was taken";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("keydir_memory_bytes"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(util::path_exists(dir.sub("db")));
}

// A checkpoint of a keydir over half its bound maps the new image: the keydir's own memory
// goes, what it answers stays (values, tags, TTLs, order, the built tag index), and writes
// after it copy only the pages they change.
TEST(KeydirMemoryBound, ACheckpointOverHalfTheBoundMapsTheImageInsteadOfTheKeydir) {
  TempDir dir;
  const engine::EngineOptions options = bounded();
  auto e = filled(dir, options);
  auto index = std::make_shared<RecordingIndex>();
  ASSERT_EQ(indexed(*e, index), truth(*e));
  std::size_t told = index->keys_told_;
  std::string before = contents(*e);
  std::uint64_t heap = e->keydir_private_bytes();
  ASSERT_GT(heap, options.keydir_memory_bytes / 2);
  EXPECT_FALSE(e->keydir_image_used());

  ASSERT_TRUE(e->checkpoint());
  EXPECT_TRUE(e->keydir_image_used()) << "the checkpoint's image is not mapped";
  EXPECT_LT(e->keydir_private_bytes(), heap / 20);
  EXPECT_EQ(contents(*e), before);
  EXPECT_EQ(postings(*e, *index), truth(*e));
  EXPECT_EQ(index->keys_told_, told) << "the built index was rebuilt";
  EXPECT_EQ(index->images_loaded_, 0) << "the built index was loaded again";

  std::uint64_t mapped = e->keydir_private_bytes();
  fill(*e, 6000, 6500);  // overwrites, deletes, new keys, tag changes
  for (int i = 0; i < 12000; i += 97)
    apply(*e, {remove_op("k" + std::to_string(i))});
  EXPECT_GT(e->keydir_private_bytes(), mapped + 20 * 4096) << "pages written are not counted";
  EXPECT_EQ(postings(*e, *index), truth(*e)) << "the index missed writes after the checkpoint";
  std::string after = contents(*e);
  e.reset();
  e = engine::Engine::open(dir.sub("db"), options);
  EXPECT_EQ(contents(*e), after);
  EXPECT_EQ(indexed(*e, std::make_shared<RecordingIndex>()), truth(*e));
}

// Writes that copy many pages of the image but add little log make no checkpoint due by
// growth; past half the bound one is due anyway, so a keydir at rest gives its memory back.
TEST(KeydirMemoryBound, AtRestTheKeydirGivesBackWhatItCopied) {
  TempDir dir;
  const engine::EngineOptions options = bounded();
  auto e = filled(dir, options);
  ASSERT_TRUE(e->checkpoint());
  ASSERT_TRUE(e->keydir_image_used());
  for (int i = 0; i < 12000; i += 3)  // 4,000 small overwrites: about 150 KB of log
    apply(*e, {put("k" + std::to_string(i), "u")});
  std::uint64_t copied = e->keydir_private_bytes();
  ASSERT_GT(copied, options.keydir_memory_bytes / 2);
  std::string before = contents(*e);
  ASSERT_TRUE(e->checkpoint());
  EXPECT_LT(e->keydir_private_bytes(), copied / 10) << "not given back at rest";
  EXPECT_EQ(contents(*e), before);
}

// A writer that never pauses gets no checkpoint of the usual kind; past the bound it gets one
// anyway, and the keydir's memory comes back below the bound while it writes.
TEST(KeydirMemoryBound, AWriterThatNeverPausesIsHeldToTheBound) {
  TempDir dir;
  engine::EngineOptions options = small_segments(4 << 20);
  options.background_maintenance = true;
  options.keydir_memory_bytes = 512 << 10;
  auto e = engine::Engine::open(dir.sub("db"), options);
  std::atomic<bool> stop{false};
  std::atomic<int> written{0};
  std::thread writer([&] {
    for (int i = 0; !stop.load(); ++i) {
      apply(*e, {put_op("key-" + std::to_string(i), "v" + std::to_string(i))});
      written.store(i + 1);
    }
  });
  // Seen over the bound, then back under it while the writer goes on.
  bool over = false, back = false;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!back && std::chrono::steady_clock::now() < deadline) {
    std::uint64_t bytes = e->keydir_private_bytes();
    over = over || bytes > options.keydir_memory_bytes;
    back = over && e->keydir_image_used() && bytes < options.keydir_memory_bytes / 2;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  stop = true;
  writer.join();
  ASSERT_TRUE(back) << "over the bound: " << over << "; " << written.load() << " keys written";
  for (int i = 0; i < written.load(); i += 101)
    ASSERT_EQ(value_of(*e, "key-" + std::to_string(i)), "v" + std::to_string(i)) << i;
  EXPECT_EQ(e->count("ns", 1'000'000), static_cast<std::size_t>(written.load()));
}

}  // namespace
}  // namespace nadb::testing
