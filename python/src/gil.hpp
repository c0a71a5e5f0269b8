// Running core calls without the GIL.
#pragma once

#include <pybind11/pybind11.h>

#include <exception>
#include <optional>
#include <type_traits>
#include <utility>

namespace nadb::python {

// Runs fn (C++ only: no Python objects) with the GIL released, and takes the GIL back outside
// any destructor. Not pybind11's gil_scoped_release: its destructor retakes the GIL, and a
// daemon thread that retakes it while the interpreter finalizes is ended by pthread_exit,
// whose unwinding must not cross a noexcept destructor (std::terminate: the process aborted at
// exit). Here it unwinds through ordinary frames to pybind11, which lets it pass.
template <typename F>
auto without_gil(F&& fn) -> decltype(fn()) {
  using Result = decltype(fn());
  std::exception_ptr error;
  PyThreadState* state = PyEval_SaveThread();
  if constexpr (std::is_void_v<Result>) {
    try {
      fn();
    } catch (...) {
      error = std::current_exception();
    }
    PyEval_RestoreThread(state);
    if (error) std::rethrow_exception(error);
  } else {
    std::optional<Result> result;
    try {
      result.emplace(fn());
    } catch (...) {
      error = std::current_exception();
    }
    PyEval_RestoreThread(state);
    if (error) std::rethrow_exception(error);
    return std::move(*result);
  }
}

}  // namespace nadb::python
