// URLs of registry requests, through libcurl's URL API (registry/libcurl.h): a Location header
// resolved against the request it answered, query parameters appended, form bodies encoded.
// Percent-encoding (curl_easy_escape) keeps RFC 3986's unreserved characters (A-Z a-z 0-9 - . _ ~)
// and writes every other byte as %XX, in uppercase hex.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/error.h"

namespace xb::registry {

using UrlParameters = std::vector<std::pair<std::string, std::string>>;

// `reference` resolved against `base` as RFC 3986 says: an absolute URL stays as it is,
// "/v2/..." keeps base's scheme and host, "uploads/x" replaces base's last path segment.
Result<std::string> resolve_url(const std::string& base, const std::string& reference);
// `url` with "name=value" appended to its query for each parameter, both percent-encoded.
Result<std::string> add_query(const std::string& url, const UrlParameters& parameters);
// An application/x-www-form-urlencoded body: "name=value&...", each percent-encoded.
std::string form_encode(const UrlParameters& fields);

}  // namespace xb::registry
