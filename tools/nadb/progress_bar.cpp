#include "progress_bar.hpp"

#include <unistd.h>

#include <cstdio>

namespace nadb::cli {
namespace {

constexpr int kWidth = 30;
constexpr auto kRedrawEvery = std::chrono::milliseconds(100);

}  // namespace

ProgressBar::ProgressBar(std::string label, std::string unit)
    : label_(std::move(label)), unit_(std::move(unit)), enabled_(::isatty(STDERR_FILENO) == 1) {}

ProgressBar::~ProgressBar() {
  if (drawn_) std::fputs("\r\033[K", stderr);
}

ProgressCallback ProgressBar::callback() {
  return [this](std::size_t done, std::size_t total) { update(done, total); };
}

std::string ProgressBar::amount(std::size_t n) const {
  if (unit_ != "bytes") return std::to_string(n) + " " + unit_;
  char text[32];
  std::snprintf(text, sizeof text, "%.1f MiB", static_cast<double>(n) / (1 << 20));
  return text;
}

void ProgressBar::update(std::size_t done, std::size_t total) {
  if (!enabled_) return;
  auto now = std::chrono::steady_clock::now();
  bool finished = total != 0 && done >= total;
  if (drawn_ && !finished && now - last_draw_ < kRedrawEvery) return;
  last_draw_ = now;
  drawn_ = true;
  if (total == 0) {
    std::fprintf(stderr, "\r\033[K%s %s", label_.c_str(), amount(done).c_str());
  } else {
    int filled = static_cast<int>(static_cast<double>(done) / static_cast<double>(total) * kWidth);
    std::string bar(static_cast<std::size_t>(filled), '#');
    bar.resize(kWidth, '.');
    std::fprintf(stderr, "\r\033[K%s [%s] %3d%% %s / %s", label_.c_str(), bar.c_str(),
                 static_cast<int>(100.0 * static_cast<double>(done) / static_cast<double>(total)),
                 amount(done).c_str(), amount(total).c_str());
  }
  std::fflush(stderr);
}

}  // namespace nadb::cli
