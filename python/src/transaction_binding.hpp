// nadb._core.Transaction (from Store._begin): a Transaction usable from Python threads.
#pragma once

#include "store_binding.hpp"

namespace nadb::python {

void bind_transaction(pybind11::module_& module, StoreClass& store);

}  // namespace nadb::python
