#include "platform/platform.h"

#include <sys/utsname.h>

#include <algorithm>

#include "util/strings.h"

namespace xb {

namespace {

const std::vector<std::string>& known_oses() {
  static const std::vector<std::string> oses = {"aix",     "android", "darwin",  "dragonfly", "freebsd",
                                                "illumos", "ios",     "js",      "linux",     "netbsd",
                                                "openbsd", "plan9",   "solaris", "windows",   "none"};
  return oses;
}

const std::vector<std::string>& known_architectures() {
  static const std::vector<std::string> architectures = {"386",     "amd64",   "arm",    "arm64",    "loong64",
                                                         "mips",    "mipsle",  "mips64", "mips64le", "ppc64",
                                                         "ppc64le", "riscv64", "s390x",  "wasm"};
  return architectures;
}

// Each architecture's variants, after normalize(): the empty variant is always known.
const std::vector<std::string>& known_variants(std::string_view architecture) {
  static const std::vector<std::string> arm = {"v5", "v6", "v7", "v8"};
  static const std::vector<std::string> arm64 = {"v8.1", "v8.2", "v8.3", "v8.4", "v8.5", "v8.6", "v8.7", "v8.8",
                                                 "v8.9", "v9",   "v9.1", "v9.2", "v9.3", "v9.4", "v9.5"};
  static const std::vector<std::string> amd64 = {"v2", "v3", "v4"};
  static const std::vector<std::string> none;
  if (architecture == "arm") return arm;
  if (architecture == "arm64") return arm64;
  if (architecture == "amd64") return amd64;
  return none;
}

bool is_known_os(std::string_view os) {
  const auto& oses = known_oses();
  return std::find(oses.begin(), oses.end(), to_lower(os)) != oses.end() || to_lower(os) == "macos";
}

std::string normalize_os(std::string_view os) {
  std::string lower = to_lower(os);
  if (lower == "macos") return "darwin";
  return lower;
}

}  // namespace

std::string Platform::str() const {
  std::string out = os + "/" + architecture;
  if (!variant.empty()) out += "/" + variant;
  return out;
}

std::string Platform::slug() const {
  std::string out = os + "-" + architecture;
  if (!variant.empty()) out += "-" + variant;
  return out;
}

Platform normalize(Platform platform) {
  platform.os = normalize_os(platform.os);
  std::string arch = to_lower(platform.architecture);
  std::string variant = to_lower(platform.variant);
  if (arch == "i386" || arch == "i686" || arch == "x86") {
    arch = "386";
    variant.clear();
  } else if (arch == "x86_64" || arch == "x86-64" || arch == "amd64") {
    arch = "amd64";
    if (variant == "v1") variant.clear();
  } else if (arch == "aarch64" || arch == "arm64") {
    arch = "arm64";
    if (variant == "8" || variant == "v8" || variant == "v8.0") variant.clear();
    if (variant == "9" || variant == "9.0" || variant == "v9.0") variant = "v9";
  } else if (arch == "armhf") {
    arch = "arm";
    variant = "v7";
  } else if (arch == "armel") {
    arch = "arm";
    variant = "v6";
  } else if (arch == "arm") {
    if (variant.empty() || variant == "7")
      variant = "v7";
    else if (variant == "5" || variant == "6" || variant == "8")
      variant = "v" + variant;
  }
  platform.architecture = arch;
  platform.variant = variant;
  return platform;
}

bool is_known_variant(const Platform& platform, std::string* problem) {
  if (platform.variant.empty() || platform.os == "none") return true;
  const std::vector<std::string>& variants = known_variants(platform.architecture);
  if (std::find(variants.begin(), variants.end(), platform.variant) != variants.end()) return true;
  if (problem) {
    *problem = "unknown variant \"" + platform.variant + "\" of " + platform.architecture;
    if (variants.empty()) {
      *problem += ", which has no variants: write " + platform.os + "/" + platform.architecture;
    } else {
      std::string hint = closest_match(platform.variant, variants);
      *problem += hint.empty() ? "; its variants are " + join(variants, ", ") : "; did you mean \"" + hint + "\"?";
    }
  }
  return false;
}

Result<Platform> parse_platform(std::string_view specifier) {
  std::string text(trim(specifier));
  if (text.empty()) return fail("empty platform: expected os/arch[/variant], for example linux/arm64");
  std::vector<std::string> parts = split(text, '/');
  for (const std::string& part : parts) {
    if (part.empty())
      return fail("invalid platform \"" + text +
                  "\": empty component; expected os/arch[/variant], for example linux/arm/v7");
    bool plain = std::all_of(part.begin(), part.end(),
                             [](unsigned char c) { return std::isalnum(c) || c == '_' || c == '-' || c == '.'; });
    if (!plain)
      return fail("invalid platform \"" + text + "\": \"" + part +
                  "\" may only contain letters, digits, '_', '-' and '.'");
  }
  if (parts.size() > 3)
    return fail("invalid platform \"" + text + "\": too many components; expected os/arch[/variant]");

  Platform host = host_platform();
  Platform platform;
  if (parts.size() == 1) {
    if (is_known_os(parts[0])) {
      platform.os = parts[0];
      platform.architecture = host.architecture;
      platform.variant = host.variant;
    } else {
      platform.os = host.os;
      platform.architecture = parts[0];
    }
  } else {
    platform.os = parts[0];
    platform.architecture = parts[1];
    if (parts.size() == 3) platform.variant = parts[2];
  }
  platform = normalize(platform);
  if (!is_known_os(platform.os)) {
    std::string hint = closest_match(platform.os, known_oses());
    return fail("unknown operating system \"" + platform.os + "\" in platform \"" + text + "\"" +
                (hint.empty() ? "" : "; did you mean \"" + hint + "\"?"));
  }
  const auto& archs = known_architectures();
  if (std::find(archs.begin(), archs.end(), platform.architecture) == archs.end()) {
    std::string hint = closest_match(platform.architecture, archs);
    return fail("unknown architecture \"" + platform.architecture + "\" in platform \"" + text + "\"" +
                (hint.empty() ? "" : "; did you mean \"" + hint + "\"?"));
  }
  return platform;
}

Platform host_platform() {
  struct utsname names;
  Platform host{"linux", "amd64", "", ""};
  if (uname(&names) == 0) {
    host.os = to_lower(names.sysname);
    host.architecture = names.machine;
    std::string machine = names.machine;
    if (machine == "armv7l")
      host = Platform{host.os, "arm", "v7", ""};
    else if (machine == "armv6l")
      host = Platform{host.os, "arm", "v6", ""};
  }
  return normalize(host);
}

PlatformMatcher::PlatformMatcher(Platform host) {
  host = normalize(std::move(host));
  accepted_.push_back(host);
  auto arm_down_from = [&](int version) {
    for (int v = version; v >= 5; --v) accepted_.push_back(Platform{host.os, "arm", "v" + std::to_string(v), ""});
  };
  if (host.architecture == "arm64") {
    arm_down_from(8);
  } else if (host.architecture == "amd64") {
    accepted_.push_back(Platform{host.os, "386", "", ""});
  } else if (host.architecture == "arm" && host.variant.size() == 2 && host.variant[0] == 'v') {
    int version = host.variant[1] - '0';
    if (version > 5 && version <= 8) arm_down_from(version - 1);
  }
}

std::optional<std::size_t> PlatformMatcher::rank(const Platform& candidate) const {
  Platform wanted = normalize(candidate);
  for (std::size_t i = 0; i < accepted_.size(); ++i) {
    const Platform& accepted = accepted_[i];
    if (accepted.os == wanted.os && accepted.architecture == wanted.architecture && accepted.variant == wanted.variant)
      return i;
  }
  return std::nullopt;
}

bool PlatformMatcher::matches(const Platform& candidate) const { return rank(candidate).has_value(); }

std::optional<std::size_t> PlatformMatcher::best(const std::vector<Platform>& candidates) const {
  std::optional<std::size_t> best_index;
  std::size_t best_rank = 0;
  for (std::size_t i = 0; i < candidates.size(); ++i) {
    std::optional<std::size_t> r = rank(candidates[i]);
    if (r && (!best_index || *r < best_rank)) {
      best_index = i;
      best_rank = *r;
    }
  }
  return best_index;
}

}  // namespace xb
