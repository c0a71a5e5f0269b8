// HugePageAllocator: a standard allocator that gives arrays of 2 MiB and more their own
// 2 MiB-aligned anonymous mapping marked MADV_HUGEPAGE, smaller ones ordinary heap memory.
// Why: filling a large keydir array page by page costs a page fault per 4 KiB, and faults are
// slow in VMs (they were half of a 100k-key reopen here); a huge page is one fault per 2 MiB.
// Where transparent huge pages are off, the mapping simply stays in 4 KiB pages.
#pragma once

#include <sys/mman.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>

namespace nadb::util {

inline constexpr std::size_t kHugePageBytes = std::size_t{2} << 20;

inline std::size_t round_up_to_huge_pages(std::size_t bytes) {
  return (bytes + kHugePageBytes - 1) / kHugePageBytes * kHugePageBytes;
}

// Memory for bytes (at least kHugePageBytes), zero-filled, 2 MiB-aligned. Throws bad_alloc.
inline void* map_huge_pages(std::size_t bytes) {
  std::size_t rounded = round_up_to_huge_pages(bytes);
  // Over-map by one huge page, then trim both ends to an aligned range.
  void* raw = ::mmap(nullptr, rounded + kHugePageBytes, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) throw std::bad_alloc();
  auto start = reinterpret_cast<std::uintptr_t>(raw);
  std::uintptr_t aligned = round_up_to_huge_pages(start);
  if (aligned > start) ::munmap(raw, aligned - start);
  std::size_t tail = start + kHugePageBytes - aligned;
  if (tail > 0) ::munmap(reinterpret_cast<void*>(aligned + rounded), tail);
  ::madvise(reinterpret_cast<void*>(aligned), rounded, MADV_HUGEPAGE);  // a hint: may fail
  return reinterpret_cast<void*>(aligned);
}

inline void unmap_huge_pages(void* memory, std::size_t bytes) {
  ::munmap(memory, round_up_to_huge_pages(bytes));
}

template <class T>
struct HugePageAllocator {
  using value_type = T;

  HugePageAllocator() = default;
  template <class U>
  HugePageAllocator(const HugePageAllocator<U>&) {}  // NOLINT: rebinding is implicit

  T* allocate(std::size_t n) {
    std::size_t bytes = n * sizeof(T);
    if (bytes >= kHugePageBytes) return static_cast<T*>(map_huge_pages(bytes));
    return std::allocator<T>().allocate(n);
  }
  void deallocate(T* memory, std::size_t n) {
    std::size_t bytes = n * sizeof(T);
    if (bytes >= kHugePageBytes) {
      unmap_huge_pages(memory, bytes);
    } else {
      std::allocator<T>().deallocate(memory, n);
    }
  }
  template <class U>
  bool operator==(const HugePageAllocator<U>&) const {
    return true;
  }
};

}  // namespace nadb::util
