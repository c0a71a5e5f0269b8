#include "util/copied_pages.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <vector>

namespace nadb::util {

std::optional<std::uint64_t> copied_bytes(const void* begin, std::size_t size) {
  // pagemap's entry per page: bit 63 present, bit 62 swapped, bit 61 a page of the file (or
  // shared); a present page of a private file mapping without bit 61 is an anonymous copy.
  constexpr std::uint64_t kPresent = 1ull << 63, kSwapped = 1ull << 62, kFilePage = 1ull << 61;
  if (size == 0) return 0;
  const auto page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
  const auto first = reinterpret_cast<std::uintptr_t>(begin) / page;
  const auto last = (reinterpret_cast<std::uintptr_t>(begin) + size - 1) / page;
  int fd = ::open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::uint64_t copied = 0;
  std::vector<std::uint64_t> entries(4096);
  bool ok = true;
  for (std::uintptr_t at = first; ok && at <= last;) {
    std::size_t n = std::min<std::uintptr_t>(entries.size(), last - at + 1);
    ssize_t got = ::pread(fd, entries.data(), n * sizeof(std::uint64_t),
                          static_cast<off_t>(at * sizeof(std::uint64_t)));
    if (got <= 0 || got % sizeof(std::uint64_t) != 0) {
      ok = false;
      break;
    }
    n = static_cast<std::size_t>(got) / sizeof(std::uint64_t);
    for (std::size_t i = 0; i < n; ++i) {
      std::uint64_t e = entries[i];
      if ((e & kSwapped) || ((e & kPresent) && !(e & kFilePage))) copied += page;
    }
    at += n;
  }
  ::close(fd);
  if (!ok) return std::nullopt;
  return copied;
}

}  // namespace nadb::util
