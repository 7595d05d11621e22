// `xbuild __sandbox`: the hidden command an emulated stage runs as (see emulate/sandbox.h).
#include <cstdio>

#include "cli/commands.h"
#include "emulate/sandbox.h"

namespace xb {

int sandbox_command(const std::vector<std::string>& args) {
  Result<SandboxSpec> spec = parse_sandbox_args(args);
  if (!spec) throw Error(spec.error(), 2);
  std::fflush(stdout);
  std::string failure = enter_sandbox(spec.value());
  throw Error("sandbox: " + failure, 127);
}

}  // namespace xb
