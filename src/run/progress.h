// The --progress terminals, on a stream of the caller's choice (tests use a pipe or a
// pseudo-terminal). make_progress_terminal (terminal.h) picks one for stdout.
#pragma once

#include <cstdio>
#include <memory>

#include "run/terminal.h"

namespace xb {

std::unique_ptr<Terminal> make_json_terminal(std::FILE* out);
std::unique_ptr<Terminal> make_tty_terminal(std::FILE* out, bool color);

}  // namespace xb
