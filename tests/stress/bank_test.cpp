// Bank transfers: 8 threads move money between accounts in Serializable transactions while
// an auditor sums every balance in read-only Serializable transactions. The total never
// changes, conflicts happen and are retried. Also built under ThreadSanitizer.
#include <gtest/gtest.h>

#include <atomic>
#include <random>
#include <thread>

#include "nadb/nadb.hpp"
#include "support/temp_dir.hpp"
#include "support/test_options.hpp"

namespace nadb::testing {
namespace {

constexpr int kAccounts = 10, kStart = 1000;

std::string account(int i) {
  return "acct" + std::to_string(i);
}

TEST(Bank, SerializableTransfersKeepTheTotal) {
  TempDir dir;
  for (const char* backend : {"fs", "memory"}) {
    Options options = test_options(dir.path());
    options.backend = backend;
    KeyValueStore store(options);
    for (int i = 0; i < kAccounts; ++i)
      store.set(account(i), std::to_string(kStart));
    std::atomic<bool> done{false};
    std::atomic<int> bad_audits{0}, audits{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t) {
      threads.emplace_back([&, t] {
        std::mt19937 rng(static_cast<unsigned>(t));
        for (int i = 0; i < 150; ++i) {
          int from = static_cast<int>(rng() % kAccounts), to = static_cast<int>(rng() % kAccounts);
          int amount = static_cast<int>(rng() % 50);
          store.run_transaction(
              [&](Transaction& tx) {
                int a = std::stoi(*tx.get(account(from)));
                int b = std::stoi(*tx.get(account(to)));
                if (from == to || a < amount) return;
                // Hold the snapshot a moment, as real work would: others commit meanwhile.
                std::this_thread::sleep_for(std::chrono::microseconds(50));
                tx.set(account(from), std::to_string(a - amount));
                tx.set(account(to), std::to_string(b + amount));
              },
              IsolationLevel::Serializable, 1000);
        }
      });
    }
    std::thread auditor([&] {
      while (!done) {
        try {
          Transaction tx = store.transaction(IsolationLevel::Serializable);
          int total = 0;
          for (int i = 0; i < kAccounts; ++i)
            total += std::stoi(*tx.get(account(i)));
          tx.commit();  // validates the snapshot: only a consistent sum survives
          ++audits;
          if (total != kAccounts * kStart) ++bad_audits;
        } catch (const TransactionConflict&) {
        }
      }
    });
    for (auto& t : threads)
      t.join();
    done = true;
    auditor.join();
    int total = 0;
    for (int i = 0; i < kAccounts; ++i)
      total += std::stoi(*store.get(account(i)));
    EXPECT_EQ(total, kAccounts * kStart) << backend;
    EXPECT_EQ(bad_audits.load(), 0) << backend;
    EXPECT_GT(audits.load(), 0) << backend;
    TransactionStats stats = store.get_stats().transactions;
    EXPECT_GT(stats.conflicts, 0u) << backend << ": 8 writers on 10 accounts must collide";
    EXPECT_EQ(stats.active, 0u);
  }
}

}  // namespace
}  // namespace nadb::testing
