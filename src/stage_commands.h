// The hidden commands a run starts each stage through, one per way it wraps a stage's program:
// `__contained` (the supervisor, exec/containment.h), `__sandbox` (an emulated stage's chroot,
// emulate/sandbox.h) and `__binfmt` (a crossing stage's own binfmt_misc handlers,
// emulate/private_binfmt.h). Two binaries take them: xbuild-stage, which runs start stages with,
// and xbuild itself (where no xbuild-stage is found). xbuild-stage links only what these commands
// need, so it starts in ~3 ms on a 2-core VM; xbuild's libraries (libcurl, libarchive and theirs)
// take some 25 ms more to load, once per stage and per wrapper.
#pragma once

namespace xb {

// The command's exit status, or -1 when argv[1] names none of them.
int run_stage_command(int argc, char** argv);
}  // namespace xb
