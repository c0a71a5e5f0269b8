// TTL: absolute expiry, invisible everywhere at once, swept without counting other namespaces.
#include <thread>

#include "conformance/store_fixture.hpp"

namespace nadb::testing {
namespace {

using namespace std::chrono_literals;

class Ttl : public StoreTest {};
NADB_CONFORMANCE_SUITE(Ttl);

TEST_P(Ttl, OneHourTtlDoesNotExpireAtOnce) {
  auto s = open();
  s->set_with_ttl("k", "v", 3600s);
  EXPECT_EQ(s->get("k"), "v");
  auto ttl = s->ttl("k");
  ASSERT_TRUE(ttl);
  EXPECT_GE(ttl->count(), 3599);
  EXPECT_LE(ttl->count(), 3600);
}

TEST_P(Ttl, ExpiredKeysAreInvisibleEverywhereImmediately) {
  auto s = open();
  s->set_with_ttl("gone", "v", 1s, {"t"});
  s->set("stays", "v");
  std::this_thread::sleep_for(1100ms);
  EXPECT_FALSE(s->get("gone"));
  EXPECT_FALSE(s->exists("gone"));
  EXPECT_FALSE(s->get_metadata("gone"));
  EXPECT_FALSE(s->get_with_metadata("gone"));
  EXPECT_FALSE(s->ttl("gone"));
  EXPECT_EQ(s->multi_get({"gone", "stays"})[0], std::nullopt);
  EXPECT_EQ(s->get_all_keys(), std::vector<std::string>{"stays"});
  EXPECT_EQ(s->get_stats().key_count, 1u);
  EXPECT_EQ(s->count(), 1u);
  EXPECT_FALSE(s->remove("gone"));
  EXPECT_FALSE(s->expire("gone", 10s));
  EXPECT_TRUE(s->set_if_absent("gone", "new"));  // an expired key is absent
  EXPECT_EQ(s->get_metadata("gone")->tags, std::vector<std::string>{});
}

TEST_P(Ttl, ExpireAndPersist) {
  auto s = open();
  EXPECT_FALSE(s->expire("missing", 10s));
  EXPECT_FALSE(s->persist("missing"));
  s->set("k", "v", {"t"});
  EXPECT_FALSE(s->persist("k"));  // had no TTL
  std::uint64_t v = s->get_metadata("k")->version;
  EXPECT_TRUE(s->expire("k", 100s));
  EXPECT_GT(s->get_metadata("k")->version, v);
  EXPECT_EQ(s->get("k"), "v");
  EXPECT_EQ(s->get_metadata("k")->tags, std::vector<std::string>{"t"});
  EXPECT_NEAR(static_cast<double>(s->ttl("k")->count()), 100, 1);
  EXPECT_TRUE(s->persist("k"));
  EXPECT_FALSE(s->ttl("k"));
  EXPECT_FALSE(s->persist("k"));
  EXPECT_TRUE(s->expire("k", 1s));
  std::this_thread::sleep_for(1100ms);
  EXPECT_FALSE(s->get("k"));
}

TEST_P(Ttl, CleanupCountsOnlyThisNamespace) {
  Options oa = options("a"), ob = options("b");
  oa.flush_interval = ob.flush_interval = 600s;  // keep the background sweeper out of the count
  auto a = std::make_unique<KeyValueStore>(oa);
  auto b = std::make_unique<KeyValueStore>(ob);
  for (int i = 0; i < 5; ++i)
    a->set_with_ttl("a" + std::to_string(i), "v", 1s);
  for (int i = 0; i < 3; ++i)
    b->set_with_ttl("b" + std::to_string(i), "v", 1s);
  a->set("keep", "v");
  std::this_thread::sleep_for(1100ms);
  EXPECT_EQ(a->cleanup_expired(), 5u);
  EXPECT_EQ(a->cleanup_expired(), 0u);
  EXPECT_EQ(b->cleanup_expired(), 3u);
  EXPECT_EQ(a->get_all_keys(), std::vector<std::string>{"keep"});
}

TEST_P(Ttl, SweptKeysStayGoneAfterReopen) {
  {
    auto s = open();
    s->set_with_ttl("k", "v", 1s);
    std::this_thread::sleep_for(1100ms);
    s->cleanup_expired();
  }
  auto s = open();
  EXPECT_FALSE(s->get("k"));
  EXPECT_EQ(s->get_stats().key_count, 0u);
}

}  // namespace
}  // namespace nadb::testing
