#include "fork_guard.hpp"

#include <pthread.h>
#include <pybind11/pybind11.h>

namespace nadb::python {

std::atomic<std::uint64_t>& ForkGuard::current() {
  static std::atomic<std::uint64_t> generation{0};
  return generation;
}

void ForkGuard::install() {
  pthread_atfork(nullptr, nullptr, [] { current().fetch_add(1); });
}

void ForkGuard::check() const {
  if (forked()) {
    throw pybind11::value_error(
        "this object was made by the parent process before fork(): open a new store in this "
        "process (the parent's lock, buffer and threads are not this process's)");
  }
}

}  // namespace nadb::python
