// Reference parsing follows docker's distribution/reference grammar: the first path component
// is a registry host only when it holds a '.' or a ':' or is "localhost"; the repository is
// lowercase components ([a-z0-9]+ joined by '.', '_', '__' or '-') separated by '/'; a tag is
// [A-Za-z0-9_][A-Za-z0-9_.-]{0,127} after the last ':' of the last component (util/image_name.h
// holds both rules); a digest follows '@'.
#include "registry/reference.h"

#include "registry/url.h"
#include "util/image_name.h"
#include "util/strings.h"

namespace xb::registry {

namespace {

constexpr const char* kDockerHub = "docker.io";

bool valid_digest(std::string_view digest) {
  if (!starts_with(digest, "sha256:") || digest.size() != 7 + 64) return false;
  for (char c : digest.substr(7))
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

std::string host_without_port(const std::string& host) {
  if (starts_with(host, "[")) {
    std::size_t close = host.find(']');
    return close == std::string::npos ? host : host.substr(0, close + 1);
  }
  std::size_t colon = host.rfind(':');
  return colon == std::string::npos ? host : host.substr(0, colon);
}

}  // namespace

std::string Reference::str() const {
  std::string text = registry + "/" + repository;
  if (!tag.empty()) text += ":" + tag;
  if (!digest.empty()) text += "@" + digest;
  return text;
}

Reference Reference::with_tag(const std::string& new_tag) const {
  Reference copy = *this;
  copy.tag = new_tag;
  copy.digest.clear();
  return copy;
}

Reference Reference::with_digest(const std::string& new_digest) const {
  Reference copy = *this;
  copy.tag.clear();
  copy.digest = new_digest;
  return copy;
}

Result<Reference> parse_reference(std::string_view text) {
  // The text is echoed with any password in it masked (registry/url.h).
  auto invalid = [&](const std::string& why) {
    return fail("invalid image reference \"" + redact_credentials(text) + "\": " + why);
  };
  if (text.empty()) return invalid("it is empty; write [HOST[:PORT]/]REPOSITORY[:TAG][@DIGEST]");
  std::size_t scheme = text.find("://");
  std::string_view after_scheme = scheme == std::string_view::npos ? text : text.substr(scheme + 3);
  std::size_t at_sign = after_scheme.find('@');
  if (at_sign != std::string_view::npos && after_scheme.substr(0, at_sign).find('/') == std::string_view::npos &&
      after_scheme.substr(at_sign + 1).find('/') != std::string_view::npos)
    return invalid("a reference holds no credentials; remove \"" +
                   redact_credentials(after_scheme.substr(0, at_sign + 1)) + "\" and give them with `docker login " +
                   std::string(after_scheme.substr(at_sign + 1, after_scheme.find('/', at_sign) - at_sign - 1)) +
                   "` (docker's config.json and credential helpers are read)");
  if (scheme != std::string_view::npos)
    return invalid("a reference has no scheme; write it without \"" + std::string(text.substr(0, scheme + 3)) +
                   "\": [HOST[:PORT]/]REPOSITORY[:TAG][@DIGEST]");
  Reference reference;
  std::string rest(text);
  if (std::size_t at = rest.find('@'); at != std::string::npos) {
    reference.digest = rest.substr(at + 1);
    rest.resize(at);
    if (!valid_digest(reference.digest))
      return invalid("the digest \"" + reference.digest + "\" is not sha256: followed by 64 lowercase hex digits");
  }
  std::size_t last_slash = rest.rfind('/');
  std::size_t colon = rest.rfind(':');
  if (colon != std::string::npos && (last_slash == std::string::npos || colon > last_slash)) {
    reference.tag = rest.substr(colon + 1);
    rest.resize(colon);
    if (!is_tag(reference.tag))
      return invalid("the tag \"" + reference.tag +
                     "\" may hold only letters, digits, '_', '.' and '-' (at most 128, not starting with '.' or '-')");
  }
  std::size_t slash = rest.find('/');
  std::string first = rest.substr(0, slash);
  if (slash != std::string::npos &&
      (first.find('.') != std::string::npos || first.find(':') != std::string::npos || first == "localhost")) {
    reference.registry = first;
    reference.repository = rest.substr(slash + 1);
  } else {
    reference.registry = kDockerHub;
    reference.repository = rest;
  }
  if (reference.registry == "index.docker.io" || reference.registry == "registry-1.docker.io")
    reference.registry = kDockerHub;
  if (reference.registry == kDockerHub && reference.repository.find('/') == std::string::npos)
    reference.repository = "library/" + reference.repository;
  if (reference.repository.empty()) return invalid("the repository name is missing");
  for (const std::string& component : split(reference.repository, '/'))
    if (!is_repository_component(component))
      return invalid("the repository \"" + reference.repository +
                     "\" must be lowercase letters and digits, separated by '/', '.', '_' or '-'");
  if (reference.tag.empty() && reference.digest.empty()) reference.tag = "latest";
  return reference;
}

std::string api_host(const std::string& registry) { return registry == kDockerHub ? "registry-1.docker.io" : registry; }

bool allows_plain_http(const std::string& registry, const std::vector<std::string>& insecure_registries) {
  std::string host = host_without_port(registry);
  if (host == "localhost" || host == "127.0.0.1" || host == "[::1]") return true;
  for (const std::string& insecure : insecure_registries)
    if (insecure == registry || insecure == host) return true;
  return false;
}

}  // namespace xb::registry
