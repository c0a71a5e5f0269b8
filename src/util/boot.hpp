// The running boot, as the kernel names it. Within one boot the page cache is coherent: a file
// read back holds what was written to it, synced or not. Only a restart (a power loss, a kernel
// crash) can lose what was never synced, and a restart changes the boot's id.
#pragma once

#include <string>

namespace nadb::util {

// /proc/sys/kernel/random/boot_id, read once; empty when it cannot be read. Thread-safe.
std::string boot_id();
// Tests that simulate a power loss: from now on boot_id() answers as after a restart.
void pretend_restart();

}  // namespace nadb::util
