#include "util/image_name.h"

#include <algorithm>
#include <cctype>

#include "util/strings.h"

namespace xb {

namespace {

bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

// A DNS name as a registry host is written: labels of letters, digits and '-' (not first or
// last) joined by '.', then ":PORT" (1 to 5 digits).
bool is_host(std::string_view host) {
  std::string_view name = host;
  if (std::size_t colon = host.find(':'); colon != std::string_view::npos) {
    std::string_view port = host.substr(colon + 1);
    if (port.empty() || port.size() > 5 ||
        !std::all_of(port.begin(), port.end(), [](unsigned char c) { return std::isdigit(c); }))
      return false;
    name = host.substr(0, colon);
  }
  for (const std::string& label : split(name, '.')) {
    auto alnum = [](unsigned char c) { return std::isalnum(c) != 0; };
    if (label.empty() || !alnum(label.front()) || !alnum(label.back())) return false;
    if (!std::all_of(label.begin(), label.end(), [&](unsigned char c) { return alnum(c) || c == '-'; })) return false;
  }
  return true;
}

}  // namespace

bool is_tag(std::string_view tag) {
  if (tag.empty() || tag.size() > 128) return false;
  auto word = [](unsigned char c) { return std::isalnum(c) || c == '_'; };
  if (!word(static_cast<unsigned char>(tag.front()))) return false;
  return std::all_of(tag.begin(), tag.end(), [&](unsigned char c) { return word(c) || c == '.' || c == '-'; });
}

bool is_repository_component(std::string_view part) {
  if (part.empty() || !is_lower_alnum(part.front())) return false;
  for (std::size_t i = 0; i < part.size();) {
    if (is_lower_alnum(part[i])) {
      ++i;
      continue;
    }
    // One separator: ".", "_", "__" or a run of "-", then an alphanumeric again.
    if (part[i] == '.') {
      ++i;
    } else if (part[i] == '_') {
      i += i + 1 < part.size() && part[i + 1] == '_' ? 2 : 1;
    } else if (part[i] == '-') {
      while (i < part.size() && part[i] == '-') ++i;
    } else {
      return false;
    }
    if (i == part.size() || !is_lower_alnum(part[i])) return false;
  }
  return true;
}

std::string image_name_problem(std::string_view name) {
  if (name.empty()) return "is empty";
  std::vector<std::string> parts = split(name, '/');
  std::size_t first = 0;
  const std::string& head = parts.front();
  const bool dots = head.find_first_not_of('.') == std::string::npos;  // "." and "..": a path, not a host
  if (const std::size_t at = head.find('@'); at != std::string::npos && parts.size() > 1)
    return "holds credentials (\"" + redact_credentials(head.substr(0, at + 1)) + "\"): give them with `docker login " +
           head.substr(at + 1) + "`, not in the name";
  if (parts.size() > 1 && !dots &&
      (head.find('.') != std::string::npos || head.find(':') != std::string::npos || head == "localhost")) {
    if (!is_host(head))
      return "starts with \"" + head +
             "\", which is not a registry host: letters, digits, '-' and '.', then an "
             "optional :PORT";
    first = 1;
  }
  if (parts.back().find(':') != std::string::npos || name.find('@') != std::string_view::npos)
    return "holds a tag or a digest: name the repository here and give tags in \"tags\"";
  for (std::size_t i = first; i < parts.size(); ++i)
    if (!is_repository_component(parts[i]))
      return "has the path component \"" + parts[i] +
             "\": a repository path is lowercase letters and digits, separated by '/', '.', '_' or '-'";
  return "";
}

}  // namespace xb
