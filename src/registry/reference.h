// Image references as docker and containerd read them: [host[:port]/]repository[:tag][@digest],
// with Docker Hub's defaults (no host: docker.io, one-word names under library/, no tag or
// digest: "latest"), and which registries may be spoken to over plain http.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "util/error.h"

namespace xb::registry {

struct Reference {
  std::string registry;    // "localhost:5000", "docker.io"
  std::string repository;  // "examples/hello", "library/debian"
  std::string tag;         // empty when only a digest was given
  std::string digest;      // "sha256:<hex>" or empty

  // The tag, else the digest: what goes after /manifests/.
  std::string reference() const { return digest.empty() ? tag : digest; }
  // "localhost:5000/examples/hello:1.0.0" (tag and digest both printed when both are set).
  std::string str() const;
  // The same repository with another tag (the digest dropped).
  Reference with_tag(const std::string& new_tag) const;
  // The same repository at a digest (the tag dropped).
  Reference with_digest(const std::string& new_digest) const;
};

// Parses a reference. Errors name the text and what is wrong with it.
Result<Reference> parse_reference(std::string_view text);

// The host the HTTP API lives on: "registry-1.docker.io" for docker.io, else the registry.
std::string api_host(const std::string& registry);

// Plain http is used only for localhost, 127.0.0.1, [::1] (any port) and the registries the
// user named with --insecure-registry (compared with and without the port).
bool allows_plain_http(const std::string& registry, const std::vector<std::string>& insecure_registries);

}  // namespace xb::registry
