// Debian package names, suites and mirrors as xbuild.toml writes them ([targets] packages, suite
// and mirror, and the same per platform and in a rootfs table). A package name follows Debian
// policy (5.6.1: lowercase letters, digits, '+', '-' and '.', two characters at least, starting
// with a letter or digit); a suite is a codename or alias ("bookworm", "stable"); a mirror is an
// http(s) or file URL of a Debian archive.
#include <algorithm>
#include <cctype>

#include "config/sections.h"
#include "util/strings.h"

namespace xb {

namespace {

bool is_package_name(std::string_view name) {
  auto allowed = [](unsigned char c) { return std::islower(c) || std::isdigit(c) || c == '+' || c == '-' || c == '.'; };
  return name.size() >= 2 &&
         (std::islower(static_cast<unsigned char>(name[0])) || std::isdigit(static_cast<unsigned char>(name[0]))) &&
         std::all_of(name.begin(), name.end(), allowed);
}

bool is_suite_name(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(),
                                      [](unsigned char c) { return std::islower(c) || std::isdigit(c) || c == '-'; });
}

}  // namespace

std::vector<std::string> read_packages(TomlReader& reader, const TomlTable& table, const std::string& scope) {
  std::vector<std::string> packages;
  for (const TomlString& name : reader.strings(table, "packages", scope).value_or(std::vector<TomlString>{})) {
    if (!is_package_name(name.value)) {
      reader.report(name.at, "invalid Debian package name " + in_quotes(name.value) + " in " + scope +
                                 " packages: names are lowercase letters, digits, '+', '-' and '.', such as "
                                 "\"zlib1g-dev\"");
    } else if (std::find(packages.begin(), packages.end(), name.value) != packages.end()) {
      reader.report(name.at, in_quotes(name.value) + " is listed twice in " + scope + " packages");
    } else {
      packages.push_back(name.value);
    }
  }
  return packages;
}

std::optional<std::string> read_suite(TomlReader& reader, const TomlTable& table, const std::string& scope) {
  std::optional<std::string> suite = reader.non_blank_string(table, "suite", scope);
  if (suite && !is_suite_name(*suite)) {
    reader.report(*table.get("suite"), "invalid Debian suite " + in_quotes(*suite) + " " + in_scope(scope) +
                                           ": write a codename such as \"bookworm\" or \"trixie\"");
    return std::nullopt;
  }
  return suite;
}

std::string read_mirror(TomlReader& reader, const TomlTable& table, const std::string& scope) {
  std::optional<std::string> mirror = reader.non_blank_string(table, "mirror", scope);
  if (!mirror) return "";
  if (!starts_with(*mirror, "http://") && !starts_with(*mirror, "https://") && !starts_with(*mirror, "file:/")) {
    reader.report(*table.get("mirror"), "\"mirror\" " + in_scope(scope) +
                                            " must be the URL of a Debian archive, such as "
                                            "\"http://deb.debian.org/debian\", got " +
                                            in_quotes(*mirror));
    return "";
  }
  while (mirror->size() > 1 && mirror->back() == '/') mirror->pop_back();
  return *mirror;
}

}  // namespace xb
