// The sandbox a stage of an emulated target runs in: the hidden `xbuild __sandbox` command.
//   xbuild __sandbox --root R [--lower L] [--bind HOST:GUEST]... [--workdir W] -- PROGRAM [ARG]...
// It unshares the mount namespace, makes every mount private, bind-mounts each HOST directory
// on R/GUEST, mounts /proc and binds /dev inside R, chroots into R, changes to W and executes
// PROGRAM (searched on PATH inside R) with the environment it was given.
// With --lower, L is a root filesystem shared read-only (one made from packages or unpacked
// from an image): R is then an empty directory on which the sandbox mounts an overlay of L and a
// tmpfs, so every stage starts from L as it is and what it writes outside its binds vanishes
// with it.
#pragma once

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "util/error.h"

namespace xb {

struct SandboxSpec {
  std::filesystem::path root;
  std::filesystem::path lower;  // empty: `root` is the root filesystem itself, written in place
  std::vector<std::pair<std::filesystem::path, std::filesystem::path>> binds;  // host, guest
  std::filesystem::path workdir = "/";
  std::vector<std::string> command;
};

// Parses the arguments after "__sandbox".
Result<SandboxSpec> parse_sandbox_args(const std::vector<std::string>& args);
// The words that start the sandbox: {xbuild, "__sandbox", "--root", ..., "--", command...}.
std::vector<std::string> sandbox_argv(const std::filesystem::path& xbuild, const SandboxSpec& spec);

// Sets the sandbox up and executes the command; returns only on failure (the message says
// which step failed and why).
std::string enter_sandbox(const SandboxSpec& spec);

}  // namespace xb
