// Transactions on every backend: staging, read-your-writes, atomic commit, rollback,
// isolation, timeouts, stats, and their effect on indexes and caches.
#include <thread>

#include "conformance/store_fixture.hpp"

namespace nadb::testing {
namespace {

using namespace std::chrono_literals;
using Keys = std::vector<std::string>;

class Transactions : public StoreTest {};
NADB_CONFORMANCE_SUITE(Transactions);

TEST_P(Transactions, CommitAppliesEverythingAtOnce) {
  auto s = open();
  auto key = [&](const char* name) { return grouped(name); };  // one shard on a sharded cluster
  s->set(key("gone"), "x");
  Transaction tx = s->transaction();
  tx.set(key("a"), "1", {"t"});
  tx.set_with_ttl(key("b"), "2", 100s);
  tx.batch_set({{key("c"), "3", {"t"}, {}}, {key("d"), "4", {}, {}}});
  EXPECT_TRUE(tx.remove(key("gone")));
  EXPECT_EQ(tx.batch_remove({key("d"), key("never")}), 1u);
  EXPECT_EQ(tx.operation_count(), 7u);
  EXPECT_FALSE(s->exists(key("a")));  // nothing visible before commit
  EXPECT_TRUE(s->exists(key("gone")));
  tx.commit();
  EXPECT_EQ(tx.state(), TransactionState::Committed);
  EXPECT_EQ(s->get(key("a")), "1");
  EXPECT_TRUE(s->ttl(key("b")));
  EXPECT_EQ(s->get(key("c")), "3");
  EXPECT_FALSE(s->exists(key("d")));
  EXPECT_FALSE(s->exists(key("gone")));
  EXPECT_EQ(s->query_by_tags({"t"}), (Keys{key("a"), key("c")}));
  EXPECT_EQ(s->get_stats().transactions.commits, 1u);
}

// A transaction whose keys are in different shards of a sharded namespace on a Redis Cluster
// cannot commit in one script: its commit is refused whole (NotSupported naming the shards)
// and applies nothing. Everywhere else it commits whole.
TEST_P(Transactions, ATransactionOverShardsCommitsWholeOrIsRefusedWhole) {
  auto s = open();
  std::string other = "b0";  // in another shard than "a" when the namespace is sharded
  for (int i = 1; options().redis.shards > 1 && one_group({"a", other}); ++i)
    other = "b" + std::to_string(i);
  const std::vector<std::string> keys = {"a", other};
  Transaction tx = s->transaction();
  for (const auto& key : keys)
    tx.set(key, "v");
  if (!refuses_batches_over_groups()) {
    tx.commit();
    for (const auto& key : keys)
      EXPECT_EQ(s->get(key), "v");
    return;
  }
  try {
    tx.commit();
    ADD_FAILURE() << "a transaction over two shards committed on a cluster";
  } catch (const NotSupported& e) {
    EXPECT_NE(std::string(e.what()).find("shard"), std::string::npos) << e.what();
  }
  for (const auto& key : keys)
    EXPECT_FALSE(s->exists(key));
}

TEST_P(Transactions, ReadYourWritesIncludingRemovals) {
  auto s = open();
  s->set("k", "old");
  Transaction tx = s->transaction();
  EXPECT_EQ(tx.get("k"), "old");
  tx.set("k", "new");
  EXPECT_EQ(tx.get("k"), "new");
  EXPECT_TRUE(tx.remove("k"));
  EXPECT_EQ(tx.get("k"), std::nullopt);
  EXPECT_FALSE(tx.remove("k"));  // already removed as the transaction sees it
  tx.set("k", "again");
  EXPECT_EQ(tx.get("k"), "again");
  EXPECT_EQ(tx.get("missing"), std::nullopt);
  tx.commit();
  EXPECT_EQ(s->get("k"), "again");
}

TEST_P(Transactions, RollbackLeavesValuesTagsAndTtlsExactly) {
  auto s = open();
  s->set("k", "v", SetOptions{{"a", "b"}, 100s});
  Metadata before = *s->get_metadata("k");
  {
    Transaction tx = s->transaction();
    tx.set("k", "changed", {"c"});
    tx.set("new", "x", {"a"});
    tx.rollback();
    EXPECT_EQ(tx.state(), TransactionState::RolledBack);
  }
  {
    Transaction tx = s->transaction();
    tx.remove("k");
  }  // destroyed while active: rolled back
  try {
    Transaction tx = s->transaction();
    tx.set("k", "from a failing block");
    throw std::runtime_error("user error");
  } catch (const std::runtime_error&) {
  }
  Metadata after = *s->get_metadata("k");
  EXPECT_EQ(s->get("k"), "v");
  EXPECT_EQ(after.tags, before.tags);
  EXPECT_EQ(after.expires_at, before.expires_at);
  EXPECT_EQ(after.version, before.version);  // rollback never writes
  EXPECT_FALSE(s->exists("new"));
  EXPECT_EQ(s->query_by_tags({"a"}), Keys{"k"});
  EXPECT_EQ(s->get_stats().transactions.rollbacks, 3u);
}

TEST_P(Transactions, FinishedTransactionsRefuseEverything) {
  auto s = open();
  Transaction tx = s->transaction();
  tx.set("k", "v");
  tx.commit();
  EXPECT_THROW(tx.set("x", "y"), InvalidArgument);
  EXPECT_THROW(tx.get("k"), InvalidArgument);
  EXPECT_THROW(tx.remove("k"), InvalidArgument);
  EXPECT_THROW(tx.commit(), InvalidArgument);
  EXPECT_THROW(tx.rollback(), InvalidArgument);
  Transaction moved_from = s->transaction();
  Transaction owner = std::move(moved_from);
  EXPECT_THROW(moved_from.set("k", "v"), InvalidArgument);  // NOLINT(bugprone-use-after-move)
  owner.set("m", "v");
  owner.commit();
  EXPECT_EQ(s->get("m"), "v");
}

// A transaction that outlives its store: every operation throws, none touches freed memory
// (run under ASan by make test-asan).
TEST_P(Transactions, ATransactionThatOutlivesItsStoreRefusesEverything) {
  auto s = open();
  s->set("k", "before");
  Transaction staged = s->transaction();
  staged.set("k", "staged");
  Transaction idle = s->transaction();
  s.reset();
  EXPECT_THROW(staged.commit(), InvalidArgument);
  EXPECT_THROW(idle.get("k"), InvalidArgument);
  EXPECT_THROW(idle.set("k", "v"), InvalidArgument);
  idle.rollback();
  auto reopened = open();
  if (reopened->capabilities().persistent) {
    EXPECT_EQ(reopened->get("k"), "before");
  }
}

TEST_P(Transactions, BadInputIsRejectedWhenStagedAndStagesNothing) {
  auto s = open();
  Transaction tx = s->transaction();
  tx.set("ok", "v");
  EXPECT_THROW(tx.set("", "v"), InvalidArgument);
  EXPECT_THROW(tx.set("k", "v", {""}), InvalidArgument);
  EXPECT_THROW(tx.set_with_ttl("k", "v", 0s), InvalidArgument);
  EXPECT_THROW(tx.batch_set({{"fine", "v", {}, {}}, {"", "v", {}, {}}}), InvalidArgument);
  EXPECT_THROW(tx.batch_remove({"fine", ""}), InvalidArgument);
  EXPECT_THROW(tx.get(""), InvalidArgument);
  EXPECT_EQ(tx.operation_count(), 1u);
  tx.commit();
  EXPECT_EQ(s->get_all_keys(), Keys{"ok"});
}

TEST_P(Transactions, SerializableConflictsOnChangedReadsAndAppliesNothing) {
  auto s = open();
  auto other = open();
  auto key = [&](const char* name) { return grouped(name); };
  s->set(key("balance"), "10");
  Transaction tx = s->transaction(IsolationLevel::Serializable);
  EXPECT_EQ(tx.get(key("balance")), "10");
  EXPECT_EQ(tx.get(key("absent")), std::nullopt);
  tx.set(key("balance"), "20");
  tx.set(key("log"), "entry");
  other->set(key("balance"), "11");  // a concurrent writer
  EXPECT_THROW(tx.commit(), TransactionConflict);
  EXPECT_EQ(tx.state(), TransactionState::Failed);
  EXPECT_EQ(s->get(key("balance")), "11");
  EXPECT_FALSE(s->exists(key("log")));
  EXPECT_EQ(s->get_stats().transactions.conflicts, 1u);

  Transaction absent = s->transaction(IsolationLevel::Serializable);
  EXPECT_EQ(absent.get(key("absent")), std::nullopt);
  absent.set(key("marker"), "x");
  other->set(key("absent"), "now present");
  EXPECT_THROW(absent.commit(), TransactionConflict);
  EXPECT_FALSE(s->exists(key("marker")));
}

TEST_P(Transactions, ReadCommittedDoesNotValidateReads) {
  auto s = open();
  s->set("k", "1");
  Transaction tx = s->transaction(IsolationLevel::ReadCommitted);
  EXPECT_EQ(tx.get("k"), "1");
  s->set("k", "2");
  tx.set("other", "x");
  EXPECT_NO_THROW(tx.commit());
}

TEST_P(Transactions, ReadOnlySerializableValidatesItsSnapshot) {
  auto s = open();
  s->set("a", "1");
  Transaction tx = s->transaction(IsolationLevel::Serializable);
  tx.get("a");
  s->set("a", "2");
  EXPECT_THROW(tx.commit(), TransactionConflict);
  Transaction clean = s->transaction(IsolationLevel::Serializable);
  clean.get("a");
  EXPECT_NO_THROW(clean.commit());
}

TEST_P(Transactions, RunTransactionRetriesConflictsThenRethrows) {
  auto s = open();
  s->set("n", "0");
  int calls = 0;
  s->run_transaction(
      [&](Transaction& tx) {
        ++calls;
        int n = std::stoi(*tx.get("n"));
        if (calls == 1) s->set("n", "5");  // makes the first attempt conflict
        tx.set("n", std::to_string(n + 1));
      },
      IsolationLevel::Serializable, 3);
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(s->get("n"), "6");
  calls = 0;
  EXPECT_THROW(s->run_transaction(
                   [&](Transaction& tx) {
                     ++calls;
                     tx.get("n");
                     s->set("n", std::to_string(calls));
                   },
                   IsolationLevel::Serializable, 2),
               TransactionConflict);
  EXPECT_EQ(calls, 3);
  EXPECT_THROW(s->run_transaction([](Transaction&) { throw std::logic_error("x"); }),
               std::logic_error);
  EXPECT_EQ(s->get_stats().transactions.active, 0u);
}

TEST_P(Transactions, TimeoutFailsTheCommit) {
  Options o = options();
  o.transaction_timeout = 1s;
  KeyValueStore s(o);
  Transaction tx = s.transaction();
  tx.set("k", "v");
  EXPECT_EQ(s.get_stats().transactions.active, 1u);
  std::this_thread::sleep_for(1100ms);
  EXPECT_GE(s.get_stats().transactions.oldest_active_age_ms, 1000.0);
  EXPECT_THROW(tx.commit(), TransactionTimeout);
  EXPECT_EQ(tx.state(), TransactionState::Failed);
  EXPECT_FALSE(s.exists("k"));
  EXPECT_EQ(s.get_stats().transactions.timeouts, 1u);
  EXPECT_EQ(s.get_stats().transactions.active, 0u);
}

TEST_P(Transactions, DisabledTransactionsAreNotSupported) {
  Options o = options();
  o.enable_transactions = false;
  KeyValueStore s(o);
  EXPECT_THROW(s.transaction(), NotSupported);
}

TEST_P(Transactions, IdsAreUniqueAndCommitsInvalidateTheCache) {
  auto s = open();
  s->set("a", "1", {"t"});
  EXPECT_EQ(s->query_by_tags({"t"}), Keys{"a"});
  Transaction t1 = s->transaction(), t2 = s->transaction();
  EXPECT_NE(t1.id(), t2.id());
  t1.set("b", "2", {"t"});
  t1.set("a", "1", {"u"});
  t1.commit(Durability::Sync);
  EXPECT_EQ(s->query_by_tags({"t"}), Keys{"b"});
  EXPECT_EQ(s->query_by_tags({"u"}), Keys{"a"});
}

}  // namespace
}  // namespace nadb::testing
