// Platforms as OCI and containerd name them: os/architecture[/variant], normalized the way
// containerd normalizes them (x86_64 -> amd64, aarch64 -> arm64, armhf -> arm/v7, ...), and a
// matcher that picks, for a host, the best of several candidates with containerd's fallbacks.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/error.h"

namespace xb {

struct Platform {
  std::string os;            // "linux", "windows", "none" (bare metal)
  std::string architecture;  // "amd64", "arm64", "arm", "386", "riscv64", ...
  std::string variant;       // "v7", "v6", ... or empty
  std::string os_version;    // Windows builds ("10.0.20348.2582"), else empty

  // "linux/arm/v7", "linux/arm64" (no variant printed when empty).
  std::string str() const;
  // The same name usable in a file name: "linux-arm-v7".
  std::string slug() const;

  friend bool operator==(const Platform&, const Platform&) = default;
};

// Normalizes an os/arch/variant triple in place of containerd's platforms.Normalize.
Platform normalize(Platform platform);

// Parses a specifier: "os/arch[/variant]", "os" (host architecture), or "arch" (host OS).
// The result is normalized. Errors name the specifier and what is wrong with it.
Result<Platform> parse_platform(std::string_view specifier);

// The variants OCI and containerd define for a normalized platform's architecture: arm v5 to v8,
// arm64 v8.1 to v8.9 and v9 to v9.5 (plain v8 is no variant), amd64 v2 to v4 (v1 is none); other
// architectures have none. Bare metal (os "none") names its CPU as its variant, so any is known.
// `problem` says, when the variant is not known, which ones are.
bool is_known_variant(const Platform& platform, std::string* problem = nullptr);

// The platform this binary runs on (normalized).
Platform host_platform();

// Chooses among candidates for a host, like containerd's platforms.Only: the exact platform
// first, then the platforms the host also runs (arm64: arm/v8..v5; amd64: 386; arm/vN: arm/vN-1..v5).
class PlatformMatcher {
 public:
  explicit PlatformMatcher(Platform host);

  bool matches(const Platform& candidate) const;
  // The platforms this host accepts, best first.
  const std::vector<Platform>& accepted() const { return accepted_; }
  // Index into `candidates` of the best match, or nullopt when none matches.
  std::optional<std::size_t> best(const std::vector<Platform>& candidates) const;

 private:
  std::optional<std::size_t> rank(const Platform& candidate) const;
  std::vector<Platform> accepted_;
};

}  // namespace xb
