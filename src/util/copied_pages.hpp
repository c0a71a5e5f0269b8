// How much of a private file mapping (MAP_PRIVATE) the process has copied: the pages it wrote
// to (copy-on-write) or that were swapped out since, as opposed to pages still shared with the
// page cache, which the kernel can drop under memory pressure and read again from the file.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

namespace nadb::util {

// Bytes of [begin, begin + size) (within one private file mapping) held in private copies, read
// from /proc/self/pagemap; nullopt when the kernel does not tell (pagemap unreadable). Reads
// about 8 bytes per page of the range (2.4 MB for a 1.2 GB range). Thread-safe.
std::optional<std::uint64_t> copied_bytes(const void* begin, std::size_t size);

}  // namespace nadb::util
