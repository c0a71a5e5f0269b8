#include "store/validation.hpp"

#include <gtest/gtest.h>

#include "nadb/errors.hpp"

namespace nadb::store {
namespace {

TEST(Validation, Names) {
  EXPECT_NO_THROW(validate_name("db", "My_db-1.0"));
  for (const std::string& bad : std::vector<std::string>{
           "", ".", "..", "../x", "a/b", "a b", std::string(129, 'a'), std::string("a\0b", 3)}) {
    EXPECT_THROW(validate_name("db", bad), InvalidArgument) << bad;
  }
  EXPECT_NO_THROW(validate_name("db", std::string(128, 'a')));
}

TEST(Validation, Keys) {
  EXPECT_THROW(validate_key(""), InvalidArgument);
  EXPECT_NO_THROW(validate_key(std::string(65536, 'k')));
  EXPECT_THROW(validate_key(std::string(65537, 'k')), InvalidArgument);
  EXPECT_NO_THROW(validate_key(std::string("\0\xff", 2)));
}

TEST(Validation, TagsBecomeASortedSet) {
  EXPECT_EQ(normalize_tags({"b", "a", "b"}), (std::vector<std::string>{"a", "b"}));
  EXPECT_THROW(normalize_tags({""}), InvalidArgument);
  EXPECT_THROW(normalize_tags({std::string(256, 't')}), InvalidArgument);
  EXPECT_THROW(normalize_tags({std::string("a\0b", 3)}), InvalidArgument);
  EXPECT_NO_THROW(normalize_tags({std::string(255, 't'), "with,comma", "with space"}));
}

TEST(Validation, Ttl) {
  EXPECT_THROW(validate_ttl(std::chrono::seconds(0)), InvalidArgument);
  EXPECT_THROW(validate_ttl(std::chrono::seconds(-5)), InvalidArgument);
  EXPECT_NO_THROW(validate_ttl(std::chrono::seconds(1)));
}

TEST(Validation, Options) {
  Options o;
  EXPECT_NO_THROW(validate_options(o));
  o.buffer_size_mb = 0;
  EXPECT_THROW(validate_options(o), InvalidArgument);
  o = Options{};
  o.flush_interval = std::chrono::milliseconds(0);
  EXPECT_THROW(validate_options(o), InvalidArgument);
  o = Options{};
  o.db = "../../etc";
  EXPECT_THROW(validate_options(o), InvalidArgument);
}

}  // namespace
}  // namespace nadb::store
