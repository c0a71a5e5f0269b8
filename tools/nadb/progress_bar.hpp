// A progress bar on standard error for nadb's long commands, drawn only when standard error
// is a terminal (pipes and logs get nothing).
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

#include "nadb/types.hpp"

namespace nadb::cli {

class ProgressBar {
 public:
  // unit names what is counted ("keys", "bytes"): bytes are shown as MiB.
  ProgressBar(std::string label, std::string unit);
  // Clears the bar's line.
  ~ProgressBar();
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  // A callback drawing this bar; valid while the bar lives.
  ProgressCallback callback();
  // Draws done of total (total 0: unknown), at most every 100 ms and always at the end.
  void update(std::size_t done, std::size_t total);

 private:
  std::string amount(std::size_t n) const;

  const std::string label_;
  const std::string unit_;
  const bool enabled_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point last_draw_{};
};

}  // namespace nadb::cli
