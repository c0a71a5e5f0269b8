// Records the calls of a ProgressCallback, for tests of long operations.
#pragma once

#include <gtest/gtest.h>

#include <cstddef>
#include <utility>
#include <vector>

#include "nadb/types.hpp"

namespace nadb::testing {

class ProgressLog {
 public:
  ProgressCallback callback() {
    return [this](std::size_t done, std::size_t total) { calls_.emplace_back(done, total); };
  }
  const std::vector<std::pair<std::size_t, std::size_t>>& calls() const { return calls_; }

  // done never goes back, never passes a known total, and the last call is done == total ==
  // expected_total.
  void expect_complete(std::size_t expected_total) const {
    ASSERT_FALSE(calls_.empty());
    for (std::size_t i = 0; i < calls_.size(); ++i) {
      if (calls_[i].second != 0) {
        EXPECT_LE(calls_[i].first, calls_[i].second) << "call " << i;
      }
      if (i > 0) {
        EXPECT_GE(calls_[i].first, calls_[i - 1].first) << "call " << i;
      }
    }
    EXPECT_EQ(calls_.back(), std::make_pair(expected_total, expected_total));
  }
  // Like expect_complete for work whose total is not known in advance: done only grows and
  // ends at expected_done.
  void expect_counted_to(std::size_t expected_done) const {
    ASSERT_FALSE(calls_.empty());
    for (std::size_t i = 1; i < calls_.size(); ++i)
      EXPECT_GE(calls_[i].first, calls_[i - 1].first) << "call " << i;
    EXPECT_EQ(calls_.back().first, expected_done);
  }

 private:
  std::vector<std::pair<std::size_t, std::size_t>> calls_;
};

}  // namespace nadb::testing
