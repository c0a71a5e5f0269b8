// Umbrella header: everything an application needs.
#pragma once

#include "nadb/backend.hpp"
#include "nadb/backup.hpp"
#include "nadb/check.hpp"
#include "nadb/errors.hpp"
#include "nadb/logging.hpp"
#include "nadb/options.hpp"
#include "nadb/query.hpp"
#include "nadb/stats.hpp"
#include "nadb/store.hpp"
#include "nadb/sync.hpp"
#include "nadb/transaction.hpp"
#include "nadb/types.hpp"
#include "nadb/version.hpp"
