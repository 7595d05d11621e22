// What a test needs of the machine it runs on, checked at the top of the test (or of its
// fixture's SetUp): tools on PATH, root, or any other thing the machine may not offer. When it is
// missing the test stops there, with the reason in its message, by one rule for unit and
// end-to-end tests alike:
//
//   on a developer's machine  a skip   (install the tool, run as root, and the test runs)
//   under CI=true             a failure
//
// Every skip of the suite is about the machine, and none is legitimate in CI: CI (.ci/run) is a
// clean Debian machine where scripts/install-deps.sh installed every tool and the tests run as
// root. That holds for the missing tools and for root, and also for the machine's state that
// other programs set (a binfmt_misc handler someone else registered for aarch64, every candidate
// architecture taken): the kernel-wide tests get their coverage in CI only, so a CI machine in
// that state has lost it. scripts/summarize-tests.py counts a skip under CI=true as a failure
// anyway; failing in the test itself puts the reason next to the test's name. A test that
// merely does not apply (not about the machine) would use GTEST_SKIP() itself; there is none.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace xb::testing {

// CI=true in the environment.
bool in_ci();

// The tools of `tools` that are not executables, comma-separated ("" when every one is): a name
// is looked up on PATH, a path (with a '/') is checked where it is.
std::string missing_tools(const std::vector<std::string>& tools);

// The effective user is root.
bool is_root();

}  // namespace xb::testing

// Stops the test here because the machine cannot run it: skipped, or failed under CI=true.
// `reason` (anything that converts to std::string) says what is missing.
#define XB_MACHINE_CANNOT(reason)                                                                \
  do {                                                                                           \
    const std::string xb_reason_ = (reason);                                                     \
    if (::xb::testing::in_ci()) FAIL() << xb_reason_ << " (CI=true: every test must run there)"; \
    GTEST_SKIP() << xb_reason_;                                                                  \
  } while (false)

// The machine offers `condition`, else XB_MACHINE_CANNOT(reason).
#define XB_REQUIRE_MACHINE(condition, reason)    \
  do {                                           \
    if (!(condition)) XB_MACHINE_CANNOT(reason); \
  } while (false)

// Every tool (names on PATH or paths; string literals or one std::vector<std::string>).
#define XB_REQUIRE_TOOLS(...)                                                    \
  do {                                                                           \
    const std::string xb_missing_ = ::xb::testing::missing_tools({__VA_ARGS__}); \
    XB_REQUIRE_MACHINE(xb_missing_.empty(), "missing tools: " + xb_missing_);    \
  } while (false)

// Root, and `why` the test needs it ("to mount over libcurl in a namespace of its own").
#define XB_REQUIRE_ROOT(why) XB_REQUIRE_MACHINE(::xb::testing::is_root(), std::string("needs root ") + (why))
