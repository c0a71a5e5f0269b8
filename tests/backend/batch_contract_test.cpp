// The WriteBatch contract (nadb/backend.hpp) on every backend: the engine and the memory
// backend apply it through engine/batch_planner, the redis backend through lua/apply.lua; these
// tests are what proves the three agree.
#include "backend/backend_kit.hpp"
#include "nadb/errors.hpp"

namespace nadb::testing {
namespace {

class BatchContract : public BackendKit {};
NADB_BACKEND_KIT_SUITE(BatchContract);

TEST_P(BatchContract, APutIsReadBackWithItsMetadataAndVersion) {
  std::int64_t at = now();
  BatchResult first = apply({put_op("n", "k", "v1", {"a", "b"})}, at);
  ASSERT_TRUE(first.applied);
  EXPECT_FALSE(first.ops[0].existed);
  EXPECT_GT(first.ops[0].version, 0u);
  auto record = backend_->get("n", "k", now(), true);
  ASSERT_TRUE(record);
  EXPECT_EQ(record->value, "v1");
  EXPECT_EQ(record->meta.tags, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(record->meta.version, first.ops[0].version);
  EXPECT_EQ(record->meta.raw_size, 2u);
  EXPECT_EQ(record->meta.created_ms, at);
  EXPECT_EQ(backend_->get("n", "k", now(), false)->meta.tags, std::vector<std::string>{});
  auto meta = backend_->get_meta("n", "k", now());
  ASSERT_TRUE(meta);
  EXPECT_EQ(meta->version, first.ops[0].version);
  EXPECT_EQ(meta->tags, (std::vector<std::string>{"a", "b"}));

  BatchResult second = apply({put_op("n", "k", "v2")}, at + 5);
  EXPECT_TRUE(second.ops[0].existed);
  EXPECT_GT(second.ops[0].version, first.ops[0].version);
  meta = backend_->get_meta("n", "k", now());
  EXPECT_EQ(meta->created_ms, at);  // an overwrite keeps the creation time
  EXPECT_EQ(meta->updated_ms, at + 5);
  EXPECT_TRUE(meta->tags.empty());  // and replaces the tags
}

TEST_P(BatchContract, AFailedConditionWritesNothing) {
  const std::string a = key_near("n", "b", "a");
  put("n", "b", "old");
  WriteOp must_be_absent = put_op("n", "b", "new");
  must_be_absent.condition = WriteOp::Condition::Absent;
  BatchResult result = apply({put_op("n", a, "1"), must_be_absent});
  EXPECT_FALSE(result.applied);
  EXPECT_EQ(result.failed_op, 1u);
  EXPECT_EQ(value("n", a), std::nullopt);
  EXPECT_EQ(value("n", "b"), "old");
}

// Keys of different batch groups of one namespace (shards of a sharded namespace): a batch over
// them is all or nothing, or, where it cannot be (a sharded namespace on a Redis Cluster), is
// refused whole, naming the shards, and writes nothing. Keys sharing a {tag} share a group.
TEST_P(BatchContract, ABatchOverBatchGroupsIsAllOrNothingOrRefusedWhole) {
  std::string other = "b";
  for (int i = 1; i < 100 && backend_->batch_group("n", other) == backend_->batch_group("n", "a");
       ++i)
    other = "b" + std::to_string(i);
  EXPECT_EQ(backend_->batch_group("n", "{t}a"), backend_->batch_group("n", "{t}b"));
  if (refuses_batches_over_groups()) {
    ASSERT_NE(backend_->batch_group("n", other), backend_->batch_group("n", "a"));
    try {
      apply({put_op("n", "a", "1"), put_op("n", other, "2")});
      ADD_FAILURE() << "a batch over two shards was applied on a cluster";
    } catch (const NotSupported& e) {
      EXPECT_NE(std::string(e.what()).find("shard"), std::string::npos) << e.what();
    }
    EXPECT_EQ(value("n", "a"), std::nullopt);
    EXPECT_EQ(value("n", other), std::nullopt);
    EXPECT_TRUE(apply({put_op("n", "{t}a", "1"), put_op("n", "{t}b", "2")}).applied);
    EXPECT_EQ(value("n", "{t}b"), "2");
    return;
  }
  put("n", other, "old");
  WriteOp must_be_absent = put_op("n", other, "new");
  must_be_absent.condition = WriteOp::Condition::Absent;
  EXPECT_FALSE(apply({put_op("n", "a", "1"), must_be_absent}).applied);
  EXPECT_EQ(value("n", "a"), std::nullopt);
  EXPECT_TRUE(apply({put_op("n", "a", "1"), put_op("n", other, "2")}).applied);
  EXPECT_EQ(value("n", "a"), "1");
  EXPECT_EQ(value("n", other), "2");
}

// A batch over two namespaces is all or nothing; a Redis Cluster, which runs a script in one
// hash slot, refuses one whose namespaces are in different slots (these two are) and writes
// nothing.
TEST_P(BatchContract, ABatchOverNamespacesIsAllOrNothingOrRefusedWhole) {
  put("m", "b", "old");
  WriteOp must_be_absent = put_op("m", "b", "new");
  must_be_absent.condition = WriteOp::Condition::Absent;
  if (GetParam().options(dir_.path(), "db", "n").redis.cluster) {
    EXPECT_THROW(apply({put_op("n", "a", "1"), put_op("m", "c", "1")}), NotSupported);
    EXPECT_EQ(value("n", "a"), std::nullopt);
    EXPECT_EQ(value("m", "c"), std::nullopt);
    return;
  }
  BatchResult failed = apply({put_op("n", "a", "1"), must_be_absent});
  EXPECT_FALSE(failed.applied);
  EXPECT_EQ(value("n", "a"), std::nullopt);
  BatchResult applied = apply({put_op("n", "a", "1"), put_op("m", "c", "2")});
  EXPECT_TRUE(applied.applied);
  EXPECT_EQ(value("n", "a"), "1");
  EXPECT_EQ(value("m", "c"), "2");
}

TEST_P(BatchContract, VersionConditionsAndChecks) {
  const std::string other = key_near("n", "k", "other"), third = key_near("n", "k", "third");
  std::uint64_t version = put("n", "k", "v");
  WriteOp check = op_of(WriteOp::Kind::Check, "n", "k");
  check.condition = WriteOp::Condition::Version;
  check.expected_version = version;
  BatchResult ok = apply({check, put_op("n", other, "x")});
  EXPECT_TRUE(ok.applied);
  EXPECT_EQ(ok.ops[0].version, 0u);  // a check writes nothing
  EXPECT_EQ(backend_->get_meta("n", "k", now())->version, version);
  check.expected_version = version + 1000;
  BatchResult stale = apply({put_op("n", third, "x"), check});
  EXPECT_FALSE(stale.applied);
  EXPECT_EQ(stale.failed_op, 1u);
  EXPECT_FALSE(value("n", third));
  WriteOp absent_check = op_of(WriteOp::Kind::Check, "n", "missing");
  absent_check.condition = WriteOp::Condition::Absent;
  EXPECT_TRUE(apply({absent_check}).applied);
}

TEST_P(BatchContract, RemovesAndExpiresOfMissingKeysWriteNothing) {
  BatchResult result =
      apply({op_of(WriteOp::Kind::Remove, "n", "missing"),
             op_of(WriteOp::Kind::Expire, "n", key_near("n", "missing", "absent"))});
  EXPECT_TRUE(result.applied);
  EXPECT_FALSE(result.ops[0].existed);
  EXPECT_EQ(result.ops[0].version, 0u);
  EXPECT_EQ(result.ops[1].version, 0u);
  EXPECT_TRUE(all_keys("n").empty());
  put("n", "k", "v");
  BatchResult removed = apply({op_of(WriteOp::Kind::Remove, "n", "k")});
  EXPECT_TRUE(removed.ops[0].existed);
  EXPECT_GT(removed.ops[0].version, 0u);
  EXPECT_FALSE(value("n", "k"));
}

TEST_P(BatchContract, AnExpireKeepsValueAndTags) {
  put("n", "k", "v", {"t"});
  WriteOp expire = op_of(WriteOp::Kind::Expire, "n", "k");
  expire.expires_ms = now() + 3600000;
  BatchResult result = apply({expire});
  EXPECT_GT(result.ops[0].version, 0u);
  auto record = backend_->get("n", "k", now(), true);
  ASSERT_TRUE(record);
  EXPECT_EQ(record->value, "v");
  EXPECT_EQ(record->meta.tags, std::vector<std::string>{"t"});
  EXPECT_EQ(record->meta.expires_ms, expire.expires_ms);
  expire.expires_ms = 0;  // persist
  apply({expire});
  EXPECT_EQ(backend_->get_meta("n", "k", now())->expires_ms, 0);
}

TEST_P(BatchContract, TheRulesRefuseABatchWholeBeforeWriting) {
  WriteOp expire = op_of(WriteOp::Kind::Expire, "n", "k");
  expire.expires_ms = now() + 1000;
  EXPECT_THROW(apply({put_op("n", "k", "v"), expire}), InvalidArgument);
  EXPECT_FALSE(value("n", "k"));
  EXPECT_THROW(apply({put_op("n", "a", "v"), put_op("n", "b", "v", {}, kMaxExpiresMs + 1)}),
               InvalidArgument);
  EXPECT_THROW(apply({put_op("n", "a", "v", {}, -1)}), InvalidArgument);
  EXPECT_FALSE(value("n", "a"));
  WriteOp clear = op_of(WriteOp::Kind::Clear, "n", "");
  EXPECT_THROW(apply({clear, put_op("n", "a", "v")}), InvalidArgument);
  EXPECT_THROW(apply({op_of(WriteOp::Kind::Clear, "n", "k")}), InvalidArgument);
  clear.condition = WriteOp::Condition::Absent;
  EXPECT_THROW(apply({clear}), InvalidArgument);
  EXPECT_FALSE(value("n", "a"));
}

TEST_P(BatchContract, LaterOpsOfABatchSeeEarlierOnes) {
  std::int64_t at = now();
  put("n", "k", "old");
  apply({op_of(WriteOp::Kind::Remove, "n", "k"), put_op("n", "k", "reborn")}, at + 10);
  EXPECT_EQ(value("n", "k"), "reborn");
  EXPECT_EQ(backend_->get_meta("n", "k", now())->created_ms, at + 10);  // a new key
  // The batch's second Put overwrites the key its first created: still created at the batch's
  // now, not at the creation before the batch (the engine used to take that one).
  apply({op_of(WriteOp::Kind::Remove, "n", "k"), put_op("n", "k", "1"), put_op("n", "k", "2")},
        at + 20);
  EXPECT_EQ(value("n", "k"), "2");
  EXPECT_EQ(backend_->get_meta("n", "k", now())->created_ms, at + 20);
  apply({put_op("n", "k", "3"), put_op("n", "k", "4")}, at + 30);  // overwrites keep it
  EXPECT_EQ(backend_->get_meta("n", "k", now())->created_ms, at + 20);
  BatchResult twice = apply({put_op("n", "j", "1"), put_op("n", "j", "2")});
  EXPECT_FALSE(twice.ops[0].existed);
  EXPECT_LT(twice.ops[0].version, twice.ops[1].version);
  EXPECT_EQ(value("n", "j"), "2");
  apply({put_op("n", "gone", "1"), op_of(WriteOp::Kind::Remove, "n", "gone")});
  EXPECT_FALSE(value("n", "gone"));
}

TEST_P(BatchContract, ExistedIsTheKeysStateBeforeTheBatch) {
  const std::string fresh = key_near("n", "live", "new");
  put("n", "live", "v");
  BatchResult result =
      apply({put_op("n", fresh, "1"), put_op("n", fresh, "2"),
             op_of(WriteOp::Kind::Remove, "n", "live"), put_op("n", "live", "again")});
  ASSERT_EQ(result.ops.size(), 4u);
  EXPECT_FALSE(result.ops[0].existed);
  EXPECT_FALSE(result.ops[1].existed);  // written by op 0, but absent before the batch
  EXPECT_TRUE(result.ops[2].existed);
  EXPECT_TRUE(result.ops[3].existed);  // removed by op 2, but live before the batch
}

TEST_P(BatchContract, AWriteWhoseExpiryHasPassedLeavesTheKeyAbsentForLaterOps) {
  std::int64_t at = now();
  put("n", "k", "old");
  // A Put that has expired at the batch's instant, then another Put: a new key (created now).
  BatchResult result = apply({put_op("n", "k", "expired", {}, at - 1000), put_op("n", "k", "fresh"),
                              put_op("n", "k", "fresher")},
                             at + 10);
  EXPECT_TRUE(result.applied);
  EXPECT_EQ(value("n", "k"), "fresher");
  EXPECT_EQ(backend_->get_meta("n", "k", now())->created_ms, at + 10);
  // ... then a Remove of it writes nothing.
  result =
      apply({put_op("n", "j", "expired", {}, at - 1000), op_of(WriteOp::Kind::Remove, "n", "j")});
  EXPECT_EQ(result.ops[1].version, 0u);
  EXPECT_FALSE(value("n", "j"));
  // An Expire into the past, then a Put: a new key too.
  put("n", "e", "old");
  WriteOp expire = op_of(WriteOp::Kind::Expire, "n", "e");
  expire.expires_ms = at - 1000;
  result = apply({expire, put_op("n", "e", "new")}, at + 20);
  EXPECT_EQ(value("n", "e"), "new");
  EXPECT_EQ(backend_->get_meta("n", "e", now())->created_ms, at + 20);
}

TEST_P(BatchContract, ExpiredKeysAreAbsentEverywhere) {
  std::int64_t at = now();
  put("n", "short", "v", {"t"}, at + 60000);
  put("n", "long", "v", {"t"});
  std::int64_t later = at + 120000;
  EXPECT_FALSE(backend_->get("n", "short", later, false));
  EXPECT_FALSE(backend_->get_meta("n", "short", later));
  EXPECT_EQ(backend_->count("n", later), 1u);
  EXPECT_EQ(backend_->scan("n", "", "", 10, later).keys, std::vector<std::string>{"long"});
  EXPECT_TRUE(backend_->get("n", "short", now(), false));  // still live now
  EXPECT_EQ(backend_->count("n", now()), 2u);
  // A Put over an expired key makes a new key; an Expire of it writes nothing.
  WriteOp expire = op_of(WriteOp::Kind::Expire, "n", "short");
  EXPECT_EQ(apply({expire}, later).ops[0].version, 0u);
}

TEST_P(BatchContract, ClearEmptiesOneNamespace) {
  put("n", "a", "1");
  put("n", "b", "2", {}, now() + 60000);
  put("other", "c", "3");
  BatchResult result = apply({op_of(WriteOp::Kind::Clear, "n", "")});
  EXPECT_EQ(result.ops.at(0).removed, 2u);
  EXPECT_TRUE(all_keys("n").empty());
  EXPECT_EQ(backend_->count("n", now()), 0u);
  EXPECT_EQ(value("other", "c"), "3");
  EXPECT_EQ(apply({op_of(WriteOp::Kind::Clear, "n", "")}).ops.at(0).removed, 0u);
  put("n", "a", "again");
  EXPECT_EQ(value("n", "a"), "again");
}

TEST_P(BatchContract, RemoveExpiredDeletesOnlyExpiredKeys) {
  put("n", "soon", "v", {"t"}, now() + 50);
  put("n", "later", "v", {}, now() + 3600000);
  put("n", "never", "v");
  std::this_thread::sleep_for(std::chrono::milliseconds(120));  // the redis server's clock decides
  BatchResult result = apply({op_of(WriteOp::Kind::RemoveExpired, "n", "")});
  EXPECT_EQ(result.ops.at(0).removed, 1u);
  EXPECT_EQ(all_keys("n"), (std::vector<std::string>{"later", "never"}));
  EXPECT_EQ(apply({op_of(WriteOp::Kind::RemoveExpired, "n", "")}).ops.at(0).removed, 0u);
}

}  // namespace
}  // namespace nadb::testing
