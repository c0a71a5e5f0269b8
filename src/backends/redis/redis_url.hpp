// The redis:// URL form of RedisOptions.
#pragma once

#include <string_view>

#include "nadb/options.hpp"

namespace nadb::backends::redis {

// Fills host, port, database, username, password, cluster, seed_nodes and tls of options from
// redis://[user:password@]host[:port][/database] (user may be empty: redis://:pw@host) or
// redis+cluster://[user:password@]host[:port][,host[:port]...][/0] (the first node is
// host:port, the others seed_nodes); rediss:// and rediss+cluster:// set tls. Throws
// InvalidArgument naming what is wrong; options is unchanged then.
void apply_url(std::string_view url, RedisOptions& options);

}  // namespace nadb::backends::redis
