// The terminal behind a narrow interface: the scheduler writes whole lines to it. The real one
// writes to stdout; tests collect the lines.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace xb {

class Terminal {
 public:
  virtual ~Terminal() = default;
  // A line of a job's output, already prefixed ("[linux/arm64 build] cc -o hello ...").
  virtual void output_line(std::string_view line) = 0;
  // A status message from xbuild itself ("xbuild: ...").
  virtual void status_line(std::string_view line) = 0;
};

std::unique_ptr<Terminal> make_stdout_terminal();

// Keeps every line, for tests.
class RecordingTerminal : public Terminal {
 public:
  void output_line(std::string_view line) override { lines.emplace_back(line); }
  void status_line(std::string_view line) override { lines.emplace_back(line); }
  std::vector<std::string> lines;
};

}  // namespace xb
