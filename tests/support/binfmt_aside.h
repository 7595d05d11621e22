// xbuild's own binfmt_misc handlers, set aside for the length of a test. `xbuild run` registers
// xbuild-qemu-ARCH and leaves it there for the next run; a test that needs an architecture no
// handler claims (to register one of its own, or a foreign one) would otherwise find it and stop.
// The handlers go when this is made and come back, as they were, when it is destroyed. Someone
// else's handlers are never touched: those tests still stop on them.
#pragma once

#include <string>
#include <vector>

namespace xb::testing {

class BinfmtAside {
 public:
  // Every handler named xbuild-qemu-* whose magic is `magic_hex` (as binfmt_misc shows it).
  explicit BinfmtAside(const std::string& magic_hex);
  ~BinfmtAside();
  BinfmtAside(const BinfmtAside&) = delete;
  BinfmtAside& operator=(const BinfmtAside&) = delete;

 private:
  struct Saved {
    std::string name, text;
  };
  std::vector<Saved> saved_;
};

}  // namespace xb::testing
