// Crash test: a child writes with Durability::Sync from two threads and reports every
// acknowledged operation through a pipe; the parent kills it with SIGKILL at a random moment,
// reopens the store and checks that every acknowledged write is there, exactly.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <map>
#include <random>
#include <set>
#include <stdexcept>
#include <thread>

#include "nadb/nadb.hpp"
#include "support/kill_child.hpp"
#include "support/temp_dir.hpp"
#include "support/test_options.hpp"

namespace nadb::testing {
namespace {

using namespace std::chrono_literals;

enum class Report : std::uint8_t { SetDone = 1, RemoveStarted = 2, RemoveDone = 3 };

// Naturally aligned (a packed one made `m.round` a misaligned reference: UB, found by UBSan).
struct Message {
  Report kind;
  std::uint32_t round;
  std::uint32_t writer;
  std::uint32_t index;
};
static_assert(sizeof(Message) < PIPE_BUF);  // each write is atomic

std::string key_of(std::uint32_t round, std::uint32_t writer, std::uint32_t index) {
  return "r" + std::to_string(round) + "/w" + std::to_string(writer) + "/" + std::to_string(index);
}
std::string value_of(std::uint32_t round, std::uint32_t writer, std::uint32_t index) {
  return std::string(20 + index % 300, static_cast<char>('a' + (round + writer + index) % 26)) +
         key_of(round, writer, index);
}
std::vector<std::string> tags_of(std::uint32_t index) {
  return {"t" + std::to_string(index % 3), "all"};
}
bool has_ttl(std::uint32_t index) {
  return index % 4 == 0;
}

[[noreturn]] void child(const Options& options, int fd, std::uint32_t round) {
  KeyValueStore store(options);
  auto send = [fd](Message m) {
    if (::write(fd, &m, sizeof m) != sizeof m) ::_exit(9);
  };
  auto writer = [&](std::uint32_t w) {
    for (std::uint32_t i = 0;; ++i) {
      if (i % 7 == 6) {  // delete an earlier key of this writer
        std::uint32_t victim = i - 3;
        send({Report::RemoveStarted, round, w, victim});
        store.remove(key_of(round, w, victim));
        send({Report::RemoveDone, round, w, victim});
        continue;
      }
      SetOptions set{tags_of(i), has_ttl(i) ? std::optional(3600s) : std::nullopt};
      store.set(key_of(round, w, i), value_of(round, w, i), set);
      send({Report::SetDone, round, w, i});
    }
  };
  std::thread second(writer, 1);
  writer(0);
  second.join();
  ::_exit(0);
}

struct Expected {
  bool present = false;
  bool certain = true;  // false: a remove was in flight when the child died
  std::uint32_t round = 0, writer = 0, index = 0;
};

TEST(Crash, AcknowledgedSyncWritesSurviveSigkill) {
  TempDir dir;
  Options options = test_options(dir.path());
  options.durability = Durability::Sync;
  options.max_segment_size_mb = 0.25;  // rolls and hint files happen during the rounds
  std::mt19937 rng(std::random_device{}());
  std::map<std::string, Expected> model;
  constexpr int kRounds = 24;
  std::size_t acknowledged = 0;
  for (std::uint32_t round = 0; round < kRounds; ++round) {
    auto messages = run_and_kill<Message>([&](int fd) { child(options, fd, round); },
                                          std::chrono::milliseconds(30 + rng() % 250));
    for (const Message& m : messages) {
      Expected& e = model[key_of(m.round, m.writer, m.index)];
      e.round = m.round;
      e.writer = m.writer;
      e.index = m.index;
      if (m.kind == Report::SetDone) {
        e.present = true;
        ++acknowledged;
      }
      if (m.kind == Report::RemoveStarted) e.certain = false;
      if (m.kind == Report::RemoveDone) {
        e.present = false;
        e.certain = true;
      }
    }

    KeyValueStore store(options);  // must open cleanly after every kill
    for (auto& [key, e] : model) {
      if (!e.certain) continue;
      auto entry = store.get_with_metadata(key);
      if (!e.present) {
        ASSERT_FALSE(entry) << "deleted key came back: " << key << " (round " << round << ")";
        continue;
      }
      ASSERT_TRUE(entry) << "acknowledged key lost: " << key << " (round " << round << ")";
      EXPECT_EQ(entry->value, value_of(e.round, e.writer, e.index));
      auto tags = tags_of(e.index);
      std::sort(tags.begin(), tags.end());
      EXPECT_EQ(entry->metadata.tags, tags);
      EXPECT_EQ(entry->metadata.expires_at.has_value(), has_ttl(e.index)) << key;
    }
    // Settle uncertain removes so that later rounds check them too.
    for (auto& [key, e] : model) {
      if (!e.certain) {
        e.present = store.exists(key);
        e.certain = true;
      }
    }
  }
  EXPECT_GT(acknowledged, 200u) << "too few writes to mean anything";
}

// Multi-key transactions under SIGKILL: after every reopen each transaction is all or nothing,
// and every acknowledged commit is whole.
[[noreturn]] void transaction_child(const Options& options, int fd, std::uint32_t round) {
  KeyValueStore store(options);
  for (std::uint32_t i = 0;; ++i) {
    Transaction tx = store.transaction();
    for (const char* part : {"a", "b", "c"}) {
      tx.set(key_of(round, 9, i) + part, value_of(round, 9, i), {std::string("tx") + part});
    }
    tx.commit(Durability::Sync);
    Message m{Report::SetDone, round, 9, i};
    if (::write(fd, &m, sizeof m) != sizeof m) ::_exit(9);
  }
}

TEST(Crash, TransactionsAreAllOrNothingAfterSigkill) {
  TempDir dir;
  Options options = test_options(dir.path());
  options.max_segment_size_mb = 0.25;
  std::mt19937 rng(std::random_device{}());
  std::map<std::uint32_t, std::uint32_t> acknowledged;  // round -> transactions acknowledged
  std::size_t partial_checks = 0;
  for (std::uint32_t round = 0; round < 20; ++round) {
    auto messages = run_and_kill<Message>([&](int fd) { transaction_child(options, fd, round); },
                                          std::chrono::milliseconds(30 + rng() % 200));
    for (const Message& m : messages)
      acknowledged[m.round] = m.index + 1;

    KeyValueStore store(options);
    for (std::uint32_t r = 0; r <= round; ++r) {
      // Every acknowledged transaction, and the (at most one) in flight after them.
      for (std::uint32_t i = 0; i <= acknowledged[r]; ++i) {
        int present = 0;
        for (const char* part : {"a", "b", "c"})
          present += store.exists(key_of(r, 9, i) + part) ? 1 : 0;
        ASSERT_TRUE(present == 0 || present == 3)
            << "transaction " << r << "/" << i << " is partial";
        if (i < acknowledged[r]) {
          ASSERT_EQ(present, 3) << "acknowledged transaction lost: " << r << "/" << i;
        }
        ++partial_checks;
      }
    }
  }
  EXPECT_GT(partial_checks, 100u);
}

}  // namespace
}  // namespace nadb::testing
