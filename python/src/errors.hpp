// NADB's exceptions in Python: one class per nadb::ErrorCode, each also deriving from the
// built-in exception a Python program expects (InvalidArgument is a ValueError,
// BackendUnavailable a ConnectionError...), so code written for the original keeps catching them.
#pragma once

#include <pybind11/pybind11.h>

namespace nadb::python {

// Creates nadb._core.NadbError and its subclasses in module and translates every nadb::Error
// thrown by the core into the class of its code, with the C++ message.
void register_errors(pybind11::module_& module);

}  // namespace nadb::python
