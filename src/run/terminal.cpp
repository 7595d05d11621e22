#include "run/terminal.h"

#include <cstdio>

namespace xb {
namespace {

// Job output to stdout, xbuild's own messages to stderr; each line flushed as it comes, so the
// two streams interleave on a terminal the way they happened.
class StdoutTerminal : public Terminal {
 public:
  void output_line(std::string_view line) override { write_line(stdout, line); }
  void status_line(std::string_view line) override { write_line(stderr, line); }

 private:
  static void write_line(std::FILE* stream, std::string_view line) {
    std::fwrite(line.data(), 1, line.size(), stream);
    std::fputc('\n', stream);
    std::fflush(stream);
  }
};

}  // namespace

std::unique_ptr<Terminal> make_stdout_terminal() { return std::make_unique<StdoutTerminal>(); }

}  // namespace xb
