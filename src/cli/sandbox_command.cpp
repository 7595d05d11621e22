// `xbuild __sandbox` and `xbuild __binfmt`: the hidden commands an emulated stage and a crossing
// stage run as (emulate/sandbox.h, emulate/private_binfmt.h).
#include <cstdio>

#include "cli/commands.h"
#include "emulate/private_binfmt.h"
#include "emulate/sandbox.h"

namespace xb {

int sandbox_command(const std::vector<std::string>& args) {
  Result<SandboxSpec> spec = parse_sandbox_args(args);
  if (!spec) throw Error(spec.error(), 2);
  std::fflush(stdout);
  std::string failure = enter_sandbox(spec.value());
  throw Error("sandbox: " + failure, 127);
}

int private_binfmt_command(const std::vector<std::string>& args) {
  Result<PrivateBinfmtSpec> spec = parse_private_binfmt_args(args);
  if (!spec) throw Error(spec.error(), 2);
  std::fflush(stdout);
  std::string failure = enter_private_binfmt(spec.value());
  throw Error("binfmt: " + failure, 127);
}

}  // namespace xb
