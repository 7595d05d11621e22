// The archive's names and state. default_mirror() reads apt's sources the way apt does: the
// one-line sources.list first, then sources.list.d in file name order, where *.list files are
// one-line entries ("deb [options] URI SUITE COMPONENT...") and *.sources files are deb822
// paragraphs (Types, URIs, Suites, Components, Enabled; field names in any case, continuation
// lines indented); everything else there apt ignores, and so do we.
#include "debian/archive.h"

#include <algorithm>
#include <map>
#include <set>

#include "util/fs.h"
#include "util/sha256.h"
#include "util/strings.h"

namespace xb::debian {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kDefaultMirror = "http://deb.debian.org/debian";

// Suites released before Debian had a riscv64 port.
const std::set<std::string> kSuitesWithoutRiscv64 = {"buster", "bullseye", "bookworm"};

struct Source {
  std::vector<std::string> types, uris, suites, components;
};

std::vector<std::string> words(std::string_view text) {
  std::vector<std::string> out;
  for (const std::string& word : split(text, ' '))
    for (const std::string& piece : split(word, '\t'))
      if (!piece.empty()) out.push_back(piece);
  return out;
}

std::string without_trailing_slashes(std::string uri) {
  while (uri.size() > 1 && uri.back() == '/') uri.pop_back();
  return uri;
}

// "deb [arch=amd64 signed-by=...] http://deb.debian.org/debian bookworm main contrib"
std::vector<Source> parse_one_line(const std::string& text) {
  std::vector<Source> sources;
  for (std::string line : split(text, '\n')) {
    if (std::size_t hash = line.find('#'); hash != std::string::npos) line.erase(hash);
    if (std::size_t open = line.find('['); open != std::string::npos) {
      std::size_t close = line.find(']', open);
      if (close == std::string::npos) continue;  // apt rejects it too
      line.erase(open, close - open + 1);
    }
    std::vector<std::string> fields = words(line);
    if (fields.size() < 3) continue;
    Source source;
    source.types = {fields[0]};
    source.uris = {fields[1]};
    source.suites = {fields[2]};
    source.components.assign(fields.begin() + 3, fields.end());
    sources.push_back(std::move(source));
  }
  return sources;
}

// deb822 paragraphs, separated by blank lines.
std::vector<Source> parse_deb822(const std::string& text) {
  std::vector<Source> sources;
  std::map<std::string, std::string> fields;
  std::string last;
  auto finish = [&] {
    if (!fields.empty() && to_lower(trim(fields["enabled"])) != "no") {
      sources.push_back(
          {words(fields["types"]), words(fields["uris"]), words(fields["suites"]), words(fields["components"])});
    }
    fields.clear();
    last.clear();
  };
  for (const std::string& line : split(text, '\n')) {
    if (trim(line).empty()) {
      finish();
    } else if (line[0] == '#') {
      continue;
    } else if (line[0] == ' ' || line[0] == '\t') {
      if (!last.empty()) fields[last] += " " + std::string(trim(line));
    } else if (std::size_t colon = line.find(':'); colon != std::string::npos) {
      last = to_lower(trim(line.substr(0, colon)));
      fields[last] = std::string(trim(line.substr(colon + 1)));
    }
  }
  finish();
  return sources;
}

bool is_debian_archive(const std::string& uri) {
  if (!starts_with(uri, "http://") && !starts_with(uri, "https://")) return false;
  std::string trimmed = without_trailing_slashes(uri);
  std::size_t scheme_end = trimmed.find("://") + 3;
  std::size_t path = trimmed.find('/', scheme_end);
  if (path == std::string::npos) return false;
  return trimmed.size() >= 7 && trimmed.compare(trimmed.size() - 7, 7, "/debian") == 0;
}

std::string first_debian_uri(const std::vector<Source>& sources) {
  for (const Source& source : sources) {
    if (std::find(source.types.begin(), source.types.end(), "deb") == source.types.end()) continue;
    if (std::find(source.components.begin(), source.components.end(), "main") == source.components.end()) continue;
    bool release_suite = std::any_of(source.suites.begin(), source.suites.end(),
                                     [](const std::string& suite) { return suite.find('-') == std::string::npos; });
    if (!release_suite) continue;
    for (const std::string& uri : source.uris)
      if (is_debian_archive(uri)) return without_trailing_slashes(uri);
  }
  return "";
}

bool ends_with(const std::string& text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

std::optional<std::string> debian_architecture(const Platform& platform) {
  if (platform.os != "linux") return std::nullopt;
  static const std::map<std::string, std::string> kArchitectures = {
      {"amd64", "amd64"},     {"arm64", "arm64"},     {"arm/v7", "armhf"}, {"arm/v6", "armel"},      {"386", "i386"},
      {"riscv64", "riscv64"}, {"ppc64le", "ppc64el"}, {"s390x", "s390x"},  {"mips64le", "mips64el"},
  };
  // arm64's variants (v8, v9) are one Debian port; arm's are two.
  std::string name = platform.variant.empty() || platform.architecture == "arm64"
                         ? platform.architecture
                         : platform.architecture + "/" + platform.variant;
  auto found = kArchitectures.find(name);
  if (found == kArchitectures.end()) return std::nullopt;
  return found->second;
}

std::string default_suite(const Platform& platform, const std::string& host_suite) {
  if (platform.architecture == "riscv64" && kSuitesWithoutRiscv64.count(host_suite)) return "trixie";
  return host_suite;
}

std::string host_suite(const fs::path& os_release) {
  Result<std::string> text = read_file(os_release);
  if (!text) return "bookworm";
  std::map<std::string, std::string> fields;
  for (const std::string& line : split(text.value(), '\n')) {
    std::size_t equals = line.find('=');
    if (equals == std::string::npos) continue;
    std::string value(trim(line.substr(equals + 1)));
    if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') && value.back() == value.front())
      value = value.substr(1, value.size() - 2);
    fields[std::string(trim(line.substr(0, equals)))] = value;
  }
  if (fields["ID"] != "debian" || fields["VERSION_CODENAME"].empty()) return "bookworm";
  return fields["VERSION_CODENAME"];
}

std::string default_mirror(const fs::path& apt_dir) {
  if (Result<std::string> list = read_file(apt_dir / "sources.list"); list) {
    if (std::string uri = first_debian_uri(parse_one_line(list.value())); !uri.empty()) return uri;
  }
  std::vector<fs::path> parts;
  std::error_code error;
  for (fs::directory_iterator it(apt_dir / "sources.list.d", error); !error && it != fs::directory_iterator();
       it.increment(error)) {
    std::string name = it->path().filename().string();
    if (ends_with(name, ".list") || ends_with(name, ".sources")) parts.push_back(it->path());
  }
  std::sort(parts.begin(), parts.end());
  for (const fs::path& part : parts) {
    Result<std::string> text = read_file(part);
    if (!text) continue;
    std::vector<Source> sources =
        ends_with(part.string(), ".sources") ? parse_deb822(text.value()) : parse_one_line(text.value());
    if (std::string uri = first_debian_uri(sources); !uri.empty()) return uri;
  }
  return std::string(kDefaultMirror);
}

Status check_suite_name(const std::string& suite) {
  bool valid = !suite.empty() && std::all_of(suite.begin(), suite.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-';
  });
  if (!valid)
    return fail("\"" + suite + "\" is not a Debian suite: write a codename or an alias in lowercase (bookworm, " +
                "trixie, sid, stable)");
  return Ok{};
}

Result<std::string> release_digest(const std::string& mirror, const std::string& suite,
                                   const registry::HttpGetOptions& http, bool* unreachable) {
  if (unreachable) *unreachable = false;
  if (Status checked = check_suite_name(suite); !checked) return fail(checked.error());
  const std::string url = mirror + "/dists/" + suite + "/InRelease";
  // What messages show: a mirror's password (http://user:password@host) never.
  const std::string shown_mirror = redact_credentials(mirror);
  const std::string shown_url = redact_credentials(url);
  auto cannot_reach = [&](const std::string& why) {
    if (unreachable) *unreachable = true;
    return fail("cannot reach the Debian mirror " + shown_mirror + ": " + why);
  };
  Result<registry::HttpResponse> response = registry::http_get_response(url, http);
  if (!response) {
    const std::string prefix = "cannot reach " + shown_url + ": ";
    std::string why = response.error();
    if (starts_with(why, prefix)) why = why.substr(prefix.size());
    return cannot_reach(why);
  }
  long status = response.value().status;
  if (status == 404 || status == 410)
    return fail("the Debian mirror " + shown_mirror + " has no suite \"" + suite + "\" (" + shown_url + ": HTTP " +
                std::to_string(status) + "): check the suite's name (bookworm, trixie, sid, ...)");
  if (status >= 500) return cannot_reach(shown_url + ": HTTP " + std::to_string(status));
  if (status < 200 || status >= 300)
    return fail("the Debian mirror " + shown_mirror + " refused " + shown_url + ": HTTP " + std::to_string(status));
  const std::string& body = response.value().body;
  if (!starts_with(body, "-----BEGIN PGP SIGNED MESSAGE-----"))
    return cannot_reach(shown_url + " is not a signed Debian release file (a proxy's or a captive portal's page?)");
  return sha256_digest(body);
}

}  // namespace xb::debian
