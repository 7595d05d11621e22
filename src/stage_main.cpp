// xbuild-stage: the program a run starts each stage through (stage_commands.h). Not a command
// for people to run; installed in <prefix>/libexec/xbuild.
#include <cstdio>

#include "stage_commands.h"

int main(int argc, char** argv) {
  const int status = xb::run_stage_command(argc, argv);
  if (status >= 0) return status;
  std::fputs("xbuild-stage: starts the stages of xbuild runs (__contained, __sandbox, __binfmt); run xbuild instead\n",
             stderr);
  return 2;
}
