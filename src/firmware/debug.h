// `xbuild firmware debug`: a firmware image under qemu-system-arm, started as `firmware test`
// starts it (machine, CPU, semihosting) but halted at reset with its gdb stub on a free TCP port
// of 127.0.0.1, and gdb-multiarch attached with the ELF's symbols; QEMU is stopped when gdb
// exits.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "toolchain/firmware_target.h"
#include "util/error.h"

namespace xb::firmware {

inline constexpr const char* kGdb = "gdb-multiarch";

struct DebugOptions {
  std::filesystem::path elf;
  std::vector<std::string> gdb_args;  // after ours: "-batch", "-ex", "break main", ...
  bool print_only = false;            // print the gdb command and wait for QEMU to end instead
  int port = 0;                       // the gdb stub's port; 0: a free one
  // Called once QEMU listens, with the gdb command (print_only) or before gdb starts.
  std::function<void(const std::vector<std::string>& gdb_command, int port)> on_listening;
};

// qemu_command() of `firmware test`, halted at reset (-S) with its gdb stub on 127.0.0.1:PORT.
std::vector<std::string> qemu_debug_command(const Target& target, const std::filesystem::path& elf, int port);

// gdb-multiarch -q ELF -ex "target remote 127.0.0.1:PORT" EXTRA...
std::vector<std::string> gdb_command(const std::filesystem::path& elf, int port, const std::vector<std::string>& extra);

// A TCP port of 127.0.0.1 that nothing listens on (the kernel's pick).
Result<int> free_port();

// Whether something listens on 127.0.0.1:PORT (or on every address), from /proc/net/tcp.
bool listening(int port);

// Starts QEMU in a process group of its own (its stdin /dev/null: the terminal stays gdb's;
// it dies with this process), waits until its stub listens, then runs gdb in the foreground
// (SIGINT ignored here meanwhile: Ctrl-C is gdb's, to stop the firmware) and stops QEMU when gdb
// exits; the result is gdb's exit status. With print_only, waits for QEMU to end instead and
// returns its exit status. A missing ELF, gdb-multiarch or qemu-system-arm is an error before
// anything starts.
Result<int> debug(const Target& target, const DebugOptions& options);

}  // namespace xb::firmware
