// Keydir images: a clean close leaves one, the next open maps it and replays only the log
// written after it, and an image that does not match the folder — stale, damaged, torn — is
// never trusted: the keydir is rebuilt from the segments.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <malloc.h>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <set>
#include <thread>

#include "engine/check.hpp"
#include "engine/keydir_image.hpp"
#include "index/tag_index.hpp"
#include "nadb/errors.hpp"
#include "support/engine_helpers.hpp"
#include "support/keydir_image_helpers.hpp"
#include "support/temp_dir.hpp"
#include "util/boot.hpp"
#include "util/files.hpp"
#include "util/varint.hpp"

namespace nadb::testing {
namespace {

namespace fs = std::filesystem;

// A db of keys 0..to written and closed (so with an image); returns its contents.
std::string written_and_closed(const std::string& db, int to) {
  auto e = engine::Engine::open(db, small_segments(64 << 10));
  fill(*e, 0, to);
  return contents(*e);
}

TEST(KeydirImage, ACleanCloseLeavesAnImageTheNextOpenMapsAndReplaysOnlyWhatFollowsIt) {
  TempDir dir;
  std::string expected;
  {
    auto e = engine::Engine::open(dir.sub("db"), small_segments(64 << 10));
    EXPECT_FALSE(e->keydir_image_used());
    fill(*e, 0, 600);
    expected = contents(*e);
  }
  ASSERT_TRUE(util::path_exists(dir.sub("db/KEYDIR")));
  {
    auto e = engine::Engine::open(dir.sub("db"), small_segments(64 << 10));
    EXPECT_TRUE(e->keydir_image_used());
    EXPECT_EQ(contents(*e), expected);
    fill(*e, 600, 800);  // onto mapped pages: new long keys, deletes of mapped ones
    e->flush();
    expected = contents(*e);
    copy_folder(dir.sub("db"), dir.sub("crashed"));  // the image covers only 0..600
  }
  auto crashed = engine::Engine::open(dir.sub("crashed"), small_segments(64 << 10));
  EXPECT_TRUE(crashed->keydir_image_used());
  EXPECT_EQ(contents(*crashed), expected) << "the log after the image was not replayed";
  auto reopened = engine::Engine::open(dir.sub("db"), small_segments(64 << 10));
  EXPECT_TRUE(reopened->keydir_image_used());
  EXPECT_EQ(contents(*reopened), expected);
}

TEST(KeydirImage, AStaleImageIsNeverTrusted) {
  TempDir dir;
  std::string expected;
  written_and_closed(dir.sub("db"), 200);
  {
    auto e = engine::Engine::open(dir.sub("db"), small_segments(64 << 10));
    ASSERT_TRUE(e->keydir_image_used());
    apply(*e, {remove_op("k1"), put("k2", "changed")});
    e->compact();  // the segments the image covers are gone
    expected = contents(*e);
    copy_folder(dir.sub("db"), dir.sub("compacted"));
  }
  auto compacted = engine::Engine::open(dir.sub("compacted"), small_segments(64 << 10));
  EXPECT_FALSE(compacted->keydir_image_used());
  EXPECT_EQ(contents(*compacted), expected);

  // A covered segment that changed where the image ends (its last record torn off): the
  // open meets the torn tail as it would without an image, and leaves it out.
  TempDir other;
  {
    auto e = engine::Engine::open(other.sub("db"), small_segments(1 << 20));
    fill(*e, 0, 50);
    apply(*e, {put("last", "torn")});
  }
  std::string seg = other.sub("db/" + engine::segment_file_name(1));
  fs::resize_file(seg, fs::file_size(seg) - 1);
  auto torn = engine::Engine::open(other.sub("db"), small_segments(1 << 20));
  EXPECT_FALSE(torn->keydir_image_used());
  EXPECT_FALSE(value_of(*torn, "last"));
  EXPECT_EQ(value_of(*torn, "k1"), "v1");
}

TEST(KeydirImage, ADamagedImageIsSetAsideAndTheKeydirRebuilt) {
  TempDir dir;
  std::string expected = written_and_closed(dir.sub("db"), 600);
  std::string image = dir.sub("db/KEYDIR");
  std::uint64_t size = fs::file_size(image);
  fs::copy_file(image, dir.sub("image"));
  // The metadata (at the end): found at open.
  {
    util::File f(image, O_RDWR);
    f.write_at(size - 20, "\x7f");
  }
  auto e = engine::Engine::open(dir.sub("db"), small_segments(64 << 10));
  EXPECT_FALSE(e->keydir_image_used());
  EXPECT_EQ(contents(*e), expected);
  e.reset();
  // The arrays (the first entries): found by the background check, which rebuilds.
  fs::copy_file(dir.sub("image"), image, fs::copy_options::overwrite_existing);
  {
    util::File f(image, O_RDWR);
    f.write_at(4096 + 40, "\x7f");
  }
  auto noted = [&](const std::string& what) {
    CheckReport report = engine::check_folder(dir.sub("db"));
    EXPECT_TRUE(report.ok);  // a cache: never a problem
    for (const auto& note : report.notes) {
      if (note.find(what) != std::string::npos) return true;
    }
    return false;
  };
  EXPECT_TRUE(noted("fails its block checksums"));
  engine::EngineOptions background = small_segments(64 << 10);
  background.background_maintenance = true;  // the background check
  e = engine::Engine::open(dir.sub("db"), background);
  for (int i = 0; i < 500 && e->keydir_image_used(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_FALSE(e->keydir_image_used()) << "the damage went unnoticed";
  EXPECT_EQ(contents(*e), expected);
  bool kept_aside = false;
  for (const auto& name : util::list_directory(dir.sub("db")))
    kept_aside |= name.starts_with("KEYDIR.") && name.ends_with(".damaged");
  EXPECT_TRUE(kept_aside);
  e.reset();  // its close writes a new image
  EXPECT_TRUE(noted("matches the segments"));
}

TEST(KeydirImage, AnImageWrittenHalfwayIsIgnored) {
  TempDir dir;
  std::string expected;
  written_and_closed(dir.sub("db"), 100);
  {
    auto e = engine::Engine::open(dir.sub("db"), small_segments(64 << 10));
    fill(*e, 100, 150);
    expected = contents(*e);
    e->flush();
    copy_folder(dir.sub("db"), dir.sub("crashed"));
  }
  // A crash while the newer image was written leaves its temp file: never renamed into place.
  fs::copy_file(dir.sub("db/KEYDIR"), dir.sub("crashed/KEYDIR.tmp"));
  fs::resize_file(dir.sub("crashed/KEYDIR.tmp"), 8192);
  auto e = engine::Engine::open(dir.sub("crashed"), small_segments(64 << 10));
  EXPECT_TRUE(e->keydir_image_used());  // the older, whole one
  EXPECT_EQ(contents(*e), expected);
  EXPECT_FALSE(util::path_exists(dir.sub("crashed/KEYDIR.tmp")));
}

// Defects an adversarial review found (fixed): a flipped byte in the arrays crashed reads,
// hid a live key (a set_if_absent then replaced it) or made a compaction drop its record.
// Nothing of the image is used before its block is verified, so every one of these is now
// Corruption from the operation that meets the block, and nothing is lost.
TEST(KeydirImage, NothingOfADamagedBlockIsUsedNoReadCrashesAndNothingIsLost) {
  TempDir dir;
  std::string expected = written_and_closed(dir.sub("db"), 600);
  std::string image = dir.sub("db/KEYDIR");
  fs::copy(dir.sub("db"), dir.sub("pristine"));
  // Every 1 KiB of the first 256 KiB of the body (entries, slots, sorted ids), one at a time.
  for (std::uint64_t at = 4096; at < 4096 + (256 << 10); at += 1024) {
    fs::remove_all(dir.sub("db"));
    fs::copy(dir.sub("pristine"), dir.sub("db"));
    {
      util::File f(image, O_RDWR);
      std::string byte;
      f.read_at(at, 1, byte);
      byte[0] = static_cast<char>(byte[0] ^ 0x40);
      f.write_at(at, byte);
    }
    bool failed = false;
    try {
      auto e = engine::Engine::open(dir.sub("db"), small_segments(64 << 10));
      EXPECT_TRUE(e->keydir_image_used());
      std::string seen = contents(*e);  // reads every key: meets the damaged block, if used
      EXPECT_EQ(seen, expected) << "a wrong answer with byte " << at << " flipped";
      e->compact();
    } catch (const Corruption& c) {
      failed = true;
      EXPECT_NE(std::string(c.what()).find("keydir image"), std::string::npos) << c.what();
    }
    if (failed) {  // set aside: the next open rebuilds, and finds everything
      EXPECT_FALSE(util::path_exists(image)) << "byte " << at;
      auto e = engine::Engine::open(dir.sub("db"), small_segments(64 << 10));
      EXPECT_FALSE(e->keydir_image_used());
      EXPECT_EQ(contents(*e), expected) << "lost after byte " << at << " was flipped";
    }
  }
}

// Another db's image must not be taken for this one's when the segments only agree in size
// and last bytes (the review's lockstep dbs: same sequence numbers, same times, same tail).
TEST(KeydirImage, AnotherDbsImageIsNotTakenForThisOnes) {
  TempDir dir;
  for (std::string name : {"a", "b"}) {
    auto e = engine::Engine::open(dir.sub(name), small_segments(1 << 20));
    apply(*e, {put(name == "a" ? "alpha" : "bravo", "x")});
    for (int i = 0; i < 200; ++i)
      apply(*e, {put("common" + std::to_string(i), std::string(100, 'c'))});
  }
  ASSERT_EQ(fs::file_size(dir.sub("a/" + engine::segment_file_name(1))),
            fs::file_size(dir.sub("b/" + engine::segment_file_name(1))));
  fs::copy_file(dir.sub("a/KEYDIR"), dir.sub("b/KEYDIR"), fs::copy_options::overwrite_existing);
  auto b = engine::Engine::open(dir.sub("b"), small_segments(1 << 20));
  EXPECT_FALSE(b->keydir_image_used());
  EXPECT_EQ(value_of(*b, "bravo"), "x");
  EXPECT_FALSE(value_of(*b, "alpha"));
}

// Whatever stands at KEYDIR's name that is not a readable file is no reason not to open.
TEST(KeydirImage, AKeydirThatIsNoFileIsIgnored) {
  TempDir dir;
  {
    auto e = engine::Engine::open(dir.sub("db"), small_segments(1 << 20));
    apply(*e, {put("k", "v")});
  }
  fs::remove(dir.sub("db/KEYDIR"));
  fs::create_directory(dir.sub("db/KEYDIR"));
  {
    auto e = engine::Engine::open(dir.sub("db"), small_segments(1 << 20));
    EXPECT_EQ(value_of(*e, "k"), "v");
    apply(*e, {put("k2", "v2")});
  }  // its close cannot replace a folder with an image: logged, not thrown
  fs::remove_all(dir.sub("db/KEYDIR"));
  ASSERT_EQ(::mkfifo(dir.sub("db/KEYDIR").c_str(), 0644), 0);
  auto e = engine::Engine::open(dir.sub("db"), small_segments(1 << 20));  // must not hang
  EXPECT_FALSE(e->keydir_image_used());
  EXPECT_EQ(value_of(*e, "k2"), "v2");
}

// Writes that change tags, delete, re-add and add keys — made while the index is not built.
void retag(engine::Engine& e, int round) {
  std::string r = std::to_string(round);
  for (int i = round; i < 600; i += 5)
    apply(e, {put("k" + std::to_string(i), "retagged", {"r" + r, "t0"})});
  for (int i = round + 1; i < 600; i += 11)
    apply(e, {remove_op("k" + std::to_string(i))});
  for (int i = round + 2; i < 600; i += 13)
    apply(e, {remove_op("k" + std::to_string(i)), put("k" + std::to_string(i), "back", {"b"})});
  for (int i = 0; i < 50; ++i)
    apply(e, {put("new" + r + "-" + std::to_string(i), "n", {"n" + r})});
}

// The tag index is saved with the keydir: an open loads it instead of visiting every key, and
// what changed since (before the first query, across closes without one, in the log a crash
// left) is applied to it, so it always answers as one built from the keys would.
TEST(KeydirImage, TheTagIndexIsSavedAndLoadedWithEveryChangeSinceApplied) {
  TempDir dir;
  {
    auto e = engine::Engine::open(dir.sub("db"), small_segments(64 << 10));
    fill(*e, 0, 600);
    auto index = std::make_shared<RecordingIndex>();
    EXPECT_EQ(indexed(*e, index), truth(*e));
    EXPECT_GT(index->keys_told_, 0u);
  }  // built: saved as it is
  {
    auto e = engine::Engine::open(dir.sub("db"), small_segments(64 << 10));
    auto index = std::make_shared<RecordingIndex>();
    EXPECT_EQ(indexed(*e, index), truth(*e));
    EXPECT_EQ(index->images_loaded_, 1);
    EXPECT_EQ(index->keys_told_, 0u) << "built from the keys despite a saved image";
    retag(*e, 1);  // the index is built: told of these as they happen
    EXPECT_EQ(indexed(*e, index), truth(*e));
  }
  {
    auto e = engine::Engine::open(dir.sub("db"), small_segments(64 << 10));
    retag(*e, 2);  // no index attached, none built: the close saves the old one and these
  }
  {
    auto e = engine::Engine::open(dir.sub("db"), small_segments(64 << 10));
    auto index = std::make_shared<RecordingIndex>();
    e->attach_index("ns", index, false);
    retag(*e, 3);  // attached, not built: changes on top of the saved ones
    e->flush();
    copy_folder(dir.sub("db"), dir.sub("crashed"));
    EXPECT_EQ(indexed(*e, index), truth(*e));
    EXPECT_EQ(index->images_loaded_, 1);
    EXPECT_EQ(index->keys_told_, 0u);
    EXPECT_EQ(indexed(*e, index, true), truth(*e));  // asked to rebuild: from the keys
    EXPECT_EQ(index->images_loaded_, 1);
    EXPECT_GT(index->keys_told_, 0u);
  }
  // The crashed copy: its image is the one before round 3, which it replays from the log.
  auto crashed = engine::Engine::open(dir.sub("crashed"), small_segments(64 << 10));
  EXPECT_TRUE(crashed->keydir_image_used());
  auto index = std::make_shared<RecordingIndex>();
  EXPECT_EQ(indexed(*crashed, index), truth(*crashed));
  EXPECT_EQ(index->images_loaded_, 1);
  EXPECT_EQ(index->keys_told_, 0u);
  // An index that takes no image is told of every key, and agrees.
  auto plain = engine::Engine::open(dir.sub("db"), small_segments(64 << 10));
  auto refusing = std::make_shared<RecordingIndex>(false);
  EXPECT_EQ(indexed(*plain, refusing), truth(*plain));
  EXPECT_GT(refusing->keys_told_, 0u);
}

// A session that only queries still leaves an image when it had to build the index from the
// keys (its open found none saved): the next open loads it.
TEST(KeydirImage, AnIndexBuiltFromTheKeysIsSavedEvenWithoutWrites) {
  TempDir dir;
  written_and_closed(dir.sub("db"), 300);  // no index attached: none saved
  for (int session = 0; session < 2; ++session) {
    auto e = engine::Engine::open(dir.sub("db"), small_segments(64 << 10));
    auto index = std::make_shared<RecordingIndex>();
    EXPECT_EQ(indexed(*e, index), truth(*e));
    EXPECT_EQ(index->images_loaded_, session) << "session " << session;
    EXPECT_EQ(index->keys_told_ > 0, session == 0) << "session " << session;
  }
}

// Every key with a tag of its own (an owner's id): the image holds the tag sets as it holds
// the keys, so an open maps them instead of decoding each onto the heap (1M such keys took
// 1.1 s and 300 B of heap per key to open), and they keep their references across opens: a
// set whose last key goes is forgotten and its id reused.
TEST(KeydirImage, TagSetsAreMappedNotDecodedAndKeepTheirReferences) {
  TempDir dir;
  constexpr int kKeys = 30000;
  auto key = [](int i) { return "k" + std::to_string(i); };
  auto owner = [](int i) { return "owner-" + std::to_string(i) + "-with-a-long-name"; };
  std::map<std::string, std::vector<std::string>> model;  // key -> its tags
  {
    auto e = engine::Engine::open(dir.sub("db"), small_segments(1 << 20));
    for (int i = 0; i < kKeys; ++i) {
      model[key(i)] = {owner(i), "shared"};
      apply(*e, {put(key(i), "v", model[key(i)])});
    }
  }
  for (int session = 0; session < 4; ++session) {
    std::size_t heap_before = mallinfo2().uordblks;
    auto e = engine::Engine::open(dir.sub("db"), small_segments(1 << 20));
    ASSERT_TRUE(e->keydir_image_used());
    EXPECT_LT(mallinfo2().uordblks - heap_before, kKeys * 8u) << "tag sets decoded at open";
    for (const auto& [k, tags] : model) {
      auto record = e->get("ns", k, 0, true);
      ASSERT_TRUE(record) << k;
      ASSERT_EQ(record->meta.tags, tags) << "session " << session << " key " << k;
    }
    EXPECT_EQ(e->count("ns", 0), model.size());
    if (session == 3) break;
    // Key j takes key j+1's set and key j+1 goes: j's own set loses its last key and j+1's
    // keeps one, so references that did not survive the open would forget a set in use (or
    // keep one unused). Then a new set, which may reuse a forgotten set's id.
    for (int j = session; j + 1 < kKeys; j += 997) {
      if (!model.count(key(j + 1))) continue;
      model[key(j)] = model[key(j + 1)];
      model.erase(key(j + 1));
      apply(*e, {put(key(j), "v", model[key(j)]), remove_op(key(j + 1))});
    }
    std::string fresh = "fresh" + std::to_string(session);
    model[fresh] = {"a-new-set-" + std::to_string(session)};
    apply(*e, {put(fresh, "v", model[fresh])});
  }
}

// A checkpoint that saved a tag index built from the keys leaves it saved: the close does not
// write the whole image again for it (116 MB at 1M keys) when the log grew little since.
TEST(KeydirImage, AnIndexACheckpointSavedIsNotWrittenAgainAtClose) {
  TempDir dir;
  std::string image;
  {
    auto e = engine::Engine::open(dir.sub("db"), small_segments(64 << 10));
    fill(*e, 0, 2000);
    auto index = std::make_shared<RecordingIndex>();
    EXPECT_EQ(indexed(*e, index), truth(*e));
    EXPECT_GT(index->keys_told_, 0u) << "built from the keys";
    ASSERT_TRUE(e->checkpoint());
    ASSERT_TRUE(util::path_exists(dir.sub("db/KEYDIR")));
    image = util::read_file(dir.sub("db/KEYDIR"));
    apply(*e, {put("one", "more", {"t1"})});
  }
  EXPECT_EQ(util::read_file(dir.sub("db/KEYDIR")), image) << "the close wrote the index again";
  auto e = engine::Engine::open(dir.sub("db"), small_segments(64 << 10));
  auto index = std::make_shared<RecordingIndex>();
  EXPECT_EQ(indexed(*e, index), truth(*e));
  EXPECT_EQ(index->images_loaded_, 1);
  EXPECT_EQ(index->keys_told_, 0u) << "the checkpoint's index, with the put after it, is used";
}

// An image is written unsynced: within a boot the page cache holds it as written. After a
// restart (a power loss may have torn it) an open verifies it whole before use: a torn one is
// ignored — no read fails for it — and the close replaces it.
TEST(KeydirImage, AnImageFromBeforeARestartIsVerifiedWholeBeforeUse) {
  TempDir dir;
  std::string expected = written_and_closed(dir.sub("db"), 600);
  util::pretend_restart();
  {
    auto e = engine::Engine::open(dir.sub("db"), small_segments(64 << 10));
    EXPECT_TRUE(e->keydir_image_used()) << "an intact image of an earlier boot is used";
    EXPECT_EQ(contents(*e), expected);
  }
  std::string image = dir.sub("db/KEYDIR");
  {  // torn: its last bytes are not what was written
    util::File f(image, O_RDWR);
    std::string meta_at;
    f.read_at(16, 8, meta_at);
    std::uint64_t body_end = util::get_fixed<std::uint64_t>(meta_at.data());
    std::string tail;
    f.read_at(body_end - 100, 100, tail);
    for (char& c : tail)
      c = static_cast<char>(~c);
    f.write_at(body_end - 100, tail);
  }
  util::pretend_restart();
  {
    auto e = engine::Engine::open(dir.sub("db"), small_segments(64 << 10));
    EXPECT_FALSE(e->keydir_image_used());
    EXPECT_EQ(contents(*e), expected);
  }
  auto e = engine::Engine::open(dir.sub("db"), small_segments(64 << 10));
  EXPECT_TRUE(e->keydir_image_used()) << "the close did not replace the torn image";
  EXPECT_EQ(contents(*e), expected);
}

// A close leaves a short log tail for the next open to replay rather than rewrite the whole
// image; once the tail outgrows a share of the image, the close rewrites it.
TEST(KeydirImage, AShortTailIsLeftToTheNextOpenToReplay) {
  TempDir dir;
  written_and_closed(dir.sub("db"), 600);
  std::string image = util::read_file(dir.sub("db/KEYDIR")), expected;
  {
    auto e = engine::Engine::open(dir.sub("db"), small_segments(64 << 10));
    apply(*e, {put("k1", "changed", {"t9"}), remove_op("k2"), put("fresh", "new")});
    expected = contents(*e);
  }
  EXPECT_EQ(util::read_file(dir.sub("db/KEYDIR")), image) << "rewritten for three writes";
  {
    auto e = engine::Engine::open(dir.sub("db"), small_segments(64 << 10));
    EXPECT_TRUE(e->keydir_image_used());
    EXPECT_EQ(contents(*e), expected);
    fill(*e, 600, 1400);
    expected = contents(*e);
  }
  EXPECT_NE(util::read_file(dir.sub("db/KEYDIR")), image) << "not rewritten after 1,600 writes";
  auto e = engine::Engine::open(dir.sub("db"), small_segments(64 << 10));
  EXPECT_TRUE(e->keydir_image_used());
  EXPECT_EQ(contents(*e), expected);
}

// Replaying a record costs an open more than writing 2 KiB of image costs a close: a tail of
// many small records (deletes) is written into the image at close even while its bytes are
// far below an eighth of it, counting the records the open replayed too.
TEST(KeydirImage, ATailOfManySmallRecordsIsWrittenIntoTheImageAtClose) {
  TempDir dir;
  {
    auto e = engine::Engine::open(dir.sub("db"), small_segments(1 << 20));
    for (int i = 0; i < 20000; ++i)
      apply(*e, {put("k" + std::to_string(i), "v")});
  }
  std::string image = util::read_file(dir.sub("db/KEYDIR"));
  // Below the count that outweighs the image in one session, above it in two.
  const int deletes = static_cast<int>(image.size() / 2048 * 6 / 10);
  std::string expected;
  for (int session = 0; session < 2; ++session) {
    auto e = engine::Engine::open(dir.sub("db"), small_segments(1 << 20));
    EXPECT_TRUE(e->keydir_image_used());
    for (int i = session * deletes; i < (session + 1) * deletes; ++i)
      apply(*e, {remove_op("k" + std::to_string(i))});
    expected = contents(*e);
    e.reset();
    if (session == 0) {
      EXPECT_EQ(util::read_file(dir.sub("db/KEYDIR")), image) << "written for " << deletes;
    }
  }
  EXPECT_NE(util::read_file(dir.sub("db/KEYDIR")), image)
      << deletes << " deletes replayed and " << deletes << " more, not written";
  auto e = engine::Engine::open(dir.sub("db"), small_segments(1 << 20));
  EXPECT_EQ(contents(*e), expected);
}

}  // namespace
}  // namespace nadb::testing
