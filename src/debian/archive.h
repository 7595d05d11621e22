// The Debian archive as xbuild sees it: which Debian architecture and suite a target gets, the
// mirror this machine uses, and the state of a suite (the digest of its signed release file),
// which names the sysroots and root filesystems made from it (debian/tree.h).
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "platform/platform.h"
#include "registry/http_get.h"
#include "util/error.h"

namespace xb::debian {

// Debian's name for a Linux platform: linux/amd64 "amd64", arm64 "arm64", arm/v7 "armhf",
// arm/v6 "armel", 386 "i386", riscv64 "riscv64", ppc64le "ppc64el", s390x "s390x", mips64le
// "mips64el"; nullopt for any other platform (Debian has no port for it).
std::optional<std::string> debian_architecture(const Platform& platform);

// The suite a target's packages come from when the config names none: the host's suite, so
// that a sysroot's libraries match the host's cross compilers. riscv64 is the exception:
// Debian released it first with trixie, so a host on bookworm (or older) gets "trixie".
std::string default_suite(const Platform& platform, const std::string& host_suite);

// The host's suite: VERSION_CODENAME of a Debian os-release file ("bookworm"); "bookworm" when
// the file is missing, says nothing or describes another distribution (Ubuntu's codenames are
// not Debian suites).
std::string host_suite(const std::filesystem::path& os_release = "/etc/os-release");

// The Debian mirror of this machine's apt sources: the first `deb` entry (one-line
// sources.list, then sources.list.d/*.list and *.sources in name order, as apt reads them)
// whose URI is http(s) with a path ending in /debian, with the component "main" and a release
// suite (a name without '-': not -security, -updates or -backports). That skips
// debian-security, snapshot.debian.org and third-party repositories (Docker's ends in /debian
// too, but has no "main"). Else "http://deb.debian.org/debian". No trailing slash.
std::string default_mirror(const std::filesystem::path& apt_dir = "/etc/apt");

// Whether `suite` can be a suite's name (lowercase letters, digits, '.', '-'): the message
// says what is wrong.
Status check_suite_name(const std::string& suite);

// The state of `suite` at `mirror`: "sha256:<hex>" of <mirror>/dists/<suite>/InRelease. It
// changes whenever the suite does (a point release, a daily update of sid). Failures name the
// mirror: the suite it does not have (HTTP 404), or that it cannot be reached; in the latter
// case (no answer, 5xx, or a page that is not a release file) `*unreachable` is set, and a
// caller may fall back to what it made before.
Result<std::string> release_digest(const std::string& mirror, const std::string& suite,
                                   const registry::HttpGetOptions& http = {}, bool* unreachable = nullptr);

}  // namespace xb::debian
