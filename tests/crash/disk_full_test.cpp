// A 1 GiB value on a 64 MiB disk (support/fault_injector.hpp's SmallDisk): the write fails
// with an IOError naming the cause, reads keep working, further writes are refused until the
// store is reopened, and after space is freed the reopened store has every acknowledged write
// and takes new ones.
#include <gtest/gtest.h>

#include <string>

#include "nadb/nadb.hpp"
#include "support/fault_injector.hpp"
#include "support/temp_dir.hpp"
#include "support/test_options.hpp"

namespace nadb::testing {
namespace {

TEST(DiskFull, OneGibValueOnASmallDisk) {
  TempDir dir;
  Options options = test_options(dir.path());
  options.durability = Durability::Sync;
  options.compression = Compression::None;  // a real 1 GiB write, not a small zstd frame
  {
    SmallDisk disk(64 << 20);
    KeyValueStore store(options);
    for (int i = 0; i < 100; ++i)
      store.set("small" + std::to_string(i), std::string(1000, 'v'), {"kept"});
    try {
      store.set("huge", std::string(1ull << 30, 'x'));
      FAIL() << "a 1 GiB write fit on a 64 MiB disk";
    } catch (const IOError& e) {
      EXPECT_NE(std::string(e.what()).find("No space left on device"), std::string::npos)
          << e.what();
    }
    EXPECT_EQ(store.get("small7"), std::string(1000, 'v')) << "reads must keep working";
    EXPECT_EQ(store.query_by_tags({"kept"}).size(), 100u);
    disk.grow(1ull << 40);  // space freed, but this store's log has a failed write in it
    EXPECT_THROW(store.set("after", "x"), IOError);
  }
  KeyValueStore reopened(options);
  EXPECT_FALSE(reopened.exists("huge"));
  EXPECT_EQ(reopened.query_by_tags({"kept"}).size(), 100u);
  reopened.set("after", "x");
  reopened.flush();
  EXPECT_EQ(reopened.get("after"), "x");
}

}  // namespace
}  // namespace nadb::testing
