// Files the store creates are never created through what someone else put at their path:
// links are refused (or, for a temporary, removed — never followed), and an export replaces
// nothing but a regular file (defects 11 and 13).
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "nadb/nadb.hpp"
#include "support/temp_dir.hpp"
#include "support/test_options.hpp"

namespace nadb::testing {
namespace {

namespace fs = std::filesystem;

std::string contents(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

class FileSafety : public ::testing::Test {
 protected:
  FileSafety() { std::ofstream(victim()) << "precious"; }
  std::string victim() const { return dir_.sub("victim"); }
  Options options() const {
    Options o = test_options(dir_.sub("data"), "db");
    return o;
  }
  TempDir dir_;
};

// A LOCK link made the pid overwrite the file it pointed to.
TEST_F(FileSafety, APlantedLockLinkIsRefusedAndItsTargetUntouched) {
  fs::create_directories(dir_.sub("data/db"));
  fs::create_symlink(victim(), dir_.sub("data/db/LOCK"));
  try {
    KeyValueStore s(options());
    FAIL() << "opened through the link";
  } catch (const IOError& e) {
    EXPECT_NE(std::string(e.what()).find("symbolic link"), std::string::npos) << e.what();
  }
  EXPECT_EQ(contents(victim()), "precious");
}

// An index.json.tmp link made the backup index overwrite its target.
TEST_F(FileSafety, APlantedTemporaryLinkIsRemovedNeverFollowed) {
  KeyValueStore s(options());
  s.set("k", "v");
  fs::create_directories(dir_.sub("data/backups/db"));
  fs::create_symlink(victim(), dir_.sub("data/backups/db/index.json.tmp"));
  s.create_backup("b1");
  EXPECT_EQ(contents(victim()), "precious");
  EXPECT_EQ(s.list_backups().size(), 1u);
}

// `nadb export /dev/stdout` replaced the /dev/stdout link; a FIFO became a plain file.
TEST_F(FileSafety, AnExportReplacesOnlyARegularFile) {
  Options o;
  o.backend = "memory";
  KeyValueStore s(o);
  s.set("k", "v");
  std::string link = dir_.sub("link.jsonl"), fifo = dir_.sub("fifo.jsonl.gz");
  fs::create_symlink(victim(), link);
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  EXPECT_THROW(s.export_jsonl(link), InvalidArgument);
  EXPECT_THROW(s.export_jsonl(fifo), InvalidArgument);
  EXPECT_TRUE(fs::is_symlink(link));
  EXPECT_TRUE(fs::is_fifo(fifo));
  EXPECT_EQ(contents(victim()), "precious");
  // The temporary an export writes has a name of its own: never a file of the user's.
  std::ofstream(dir_.sub("plain.partial.jsonl")) << "mine";
  std::string plain = dir_.sub("plain.jsonl");
  std::ofstream(plain) << "old";
  EXPECT_EQ(s.export_jsonl(plain).keys, 1u);
  EXPECT_NE(contents(plain), "old");
  EXPECT_EQ(contents(dir_.sub("plain.partial.jsonl")), "mine");
}

}  // namespace
}  // namespace nadb::testing
