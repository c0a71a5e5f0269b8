// Objects of the core used in a forked child. A store opened before fork() belongs to the
// parent: its lock, its buffer and its background threads (which the child does not have)
// are the parent's. A child that wrote through it corrupted the db, and one that closed it
// (or just exited) waited forever for threads that do not exist in it. So in a child, such an
// object refuses every call, and is forgotten, never destroyed, when Python lets it go.
#pragma once

#include <atomic>
#include <cstdint>

namespace nadb::python {

class ForkGuard {
 public:
  ForkGuard() : generation_(current().load()) {}
  // True in a child forked after this object was made.
  bool forked() const { return generation_ != current().load(); }
  // RuntimeError naming the problem when forked().
  void check() const;
  // Counts forks in the children (pthread_atfork); called once at import.
  static void install();

 private:
  static std::atomic<std::uint64_t>& current();
  std::uint64_t generation_;
};

}  // namespace nadb::python
