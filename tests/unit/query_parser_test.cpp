#include <gtest/gtest.h>

#include "index/query_node.hpp"
#include "nadb/errors.hpp"

namespace nadb {
namespace {

using Kind = index::QueryNode::Kind;

std::string error_of(std::string_view text) {
  try {
    Query::parse(text);
  } catch (const InvalidArgument& e) {
    return e.what();
  }
  return "no error";
}

TEST(QueryParser, PrecedenceIsNotThenAndThenOr) {
  Query q = Query::parse("tag:a OR tag:b AND NOT tag:c");
  ASSERT_EQ(index::QueryAccess::root(q).kind, Kind::Or);
  EXPECT_EQ(index::QueryAccess::root(q).children[0]->text, "a");
  const auto& right = *index::QueryAccess::root(q).children[1];
  ASSERT_EQ(right.kind, Kind::And);
  EXPECT_EQ(right.children[1]->kind, Kind::Not);
  EXPECT_EQ(q.to_string(), R"((tag:"a" OR (tag:"b" AND NOT tag:"c")))");
}

TEST(QueryParser, ParenthesesGroupAndOperatorsIgnoreCase) {
  Query q = Query::parse("(tag:a or tag:b) and tag:c");
  ASSERT_EQ(index::QueryAccess::root(q).kind, Kind::And);
  EXPECT_EQ(index::QueryAccess::root(q).children[0]->kind, Kind::Or);
}

TEST(QueryParser, QuotedTagsKeysRangesAndPrefixes) {
  Query q = Query::parse(
      R"(tag:"with space" AND tag:"a:b\"c" AND key:user:* AND key:"x*" AND size:[0, 1024] AND created_at:[-5,7])");
  const auto& c = index::QueryAccess::root(q).children;
  ASSERT_EQ(c.size(), 6u);
  EXPECT_EQ(c[0]->text, "with space");
  EXPECT_EQ(c[1]->text, "a:b\"c");
  EXPECT_EQ(c[2]->kind, Kind::KeyPrefix);
  EXPECT_EQ(c[2]->text, "user:");
  EXPECT_EQ(c[3]->kind, Kind::KeyEquals);
  EXPECT_EQ(c[3]->text, "x*");
  EXPECT_EQ(c[4]->kind, Kind::Range);
  EXPECT_EQ(c[4]->max, 1024);
  EXPECT_EQ(c[5]->min, -5);
}

TEST(QueryParser, CanonicalTextParsesBackToTheSameQuery) {
  for (const char* text :
       {"tag:a", R"(NOT (tag:"x y" OR key:"k\\"*))", "key:\"a*\"* AND expires_at:[1,2]",
        "tag:a AND (tag:b OR NOT tag:c) AND size:[0,1024] AND key:user:*"}) {
    Query q = Query::parse(text);
    EXPECT_EQ(Query::parse(q.to_string()).to_string(), q.to_string()) << text;
  }
}

TEST(QueryParser, ErrorsNameTheProblemAndPosition) {
  EXPECT_NE(error_of("").find("empty expression at position 0"), std::string::npos);
  EXPECT_NE(error_of("   ").find("empty expression"), std::string::npos);
  EXPECT_NE(error_of("tag:").find("has no value at position 4"), std::string::npos);
  EXPECT_NE(error_of("tag:a AND (tag:b").find("unbalanced '(' opened at position 10"),
            std::string::npos);
  EXPECT_NE(error_of("tag:a)").find("unbalanced ')' at position 5"), std::string::npos);
  EXPECT_NE(error_of("tag:a AND").find("dangling operator"), std::string::npos);
  EXPECT_NE(error_of("NOT").find("dangling operator"), std::string::npos);
  EXPECT_NE(error_of("tag:\"abc").find("unterminated quote at position 4"), std::string::npos);
  EXPECT_NE(error_of("colour:red").find("unknown field 'colour'"), std::string::npos);
  EXPECT_NE(error_of("tag:a AND colour:red").find("at position 10"), std::string::npos);
  EXPECT_NE(error_of("tag:a tag:b").find("expected AND, OR or the end at position 6"),
            std::string::npos);
  EXPECT_NE(error_of("size:[5,1]").find("lo > hi"), std::string::npos);
  EXPECT_NE(error_of("size:[a,1]").find("expected an integer"), std::string::npos);
  EXPECT_NE(error_of("tag").find("expected ':'"), std::string::npos);
}

TEST(QueryBuilders, OperatorsFlattenAndValidate) {
  Query q = Query::tag("a") && Query::tag("b") && Query::tag("c");
  EXPECT_EQ(index::QueryAccess::root(q).children.size(), 3u);
  EXPECT_THROW(Query::tag(""), InvalidArgument);
  EXPECT_THROW(Query::range("colour", 0, 1), InvalidArgument);
  EXPECT_THROW(Query::range("size", 2, 1), InvalidArgument);
  EXPECT_THROW(Query::key_equals(""), InvalidArgument);
}

}  // namespace
}  // namespace nadb

namespace nadb {
namespace {

std::string repeated(const std::string& text, int times) {
  std::string out;
  for (int i = 0; i < times; ++i)
    out += text;
  return out;
}

TEST(QueryParser, NestingIsBoundedSoNoQueryExhaustsTheStack) {
  int limit = static_cast<int>(index::kMaxQueryDepth);
  EXPECT_NO_THROW(Query::parse(repeated("(", limit - 1) + "tag:a" + repeated(")", limit - 1)));
  EXPECT_NO_THROW(Query::parse(repeated("NOT ", limit - 1) + "tag:a"));
  for (const std::string& deep :
       {repeated("(", 20000) + "tag:a" + repeated(")", 20000), repeated("NOT ", 40000) + "tag:a",
        repeated("(NOT ", 20000) + "tag:a" + repeated(")", 20000)}) {
    try {
      Query::parse(deep);
      ADD_FAILURE() << "accepted a query of " << deep.size() << " bytes";
    } catch (const InvalidArgument& e) {
      EXPECT_NE(std::string(e.what()).find("deeper than 256"), std::string::npos) << e.what();
    }
  }
  Query built = Query::tag("a");
  EXPECT_THROW(
      {
        for (int i = 0; i < limit + 10; ++i)
          built = !(built || Query::tag("b" + std::to_string(i)));
      },
      InvalidArgument);
}

TEST(QueryParser, LongChainsAreOneNode) {
  std::string text = "tag:t0";
  for (int i = 1; i < 40000; ++i)
    text += (i % 2 ? " AND tag:t" : " AND tag:u") + std::to_string(i);
  Query q = Query::parse(text);
  EXPECT_EQ(index::QueryAccess::root(q).children.size(), 40000u);
  EXPECT_EQ(index::QueryAccess::root(q).depth, 2u);
  EXPECT_EQ(Query::parse(q.to_string()).to_string(), q.to_string());
}

}  // namespace
}  // namespace nadb
