// nadb._core.Sync: a KeyValueSync, given to stores through the "sync" option.
#pragma once

#include <pybind11/pybind11.h>

namespace nadb::python {

void bind_sync(pybind11::module_& module);

}  // namespace nadb::python
