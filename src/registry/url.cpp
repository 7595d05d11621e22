#include "registry/url.h"

#include <memory>

#include "registry/libcurl.h"
#include "util/strings.h"

namespace xb::registry {

namespace {

struct UrlHandle {
  void operator()(CURLU* url) const { curl_url_cleanup(url); }
};
using Url = std::unique_ptr<CURLU, UrlHandle>;

Result<Url> parse(const std::string& text) {
  Url url(curl_url());
  if (!url || curl_url_set(url.get(), CURLUPART_URL, text.c_str(), 0) != CURLUE_OK)
    return fail("\"" + redact_credentials(text) + "\" is not a URL");
  return url;
}

Result<std::string> text_of(const Url& url) {
  char* text = nullptr;
  if (curl_url_get(url.get(), CURLUPART_URL, &text, 0) != CURLUE_OK) return fail("cannot write a URL");
  std::string out(text);
  curl_free(text);
  return out;
}

std::string percent_encode(const std::string& text) {
  char* encoded = curl_easy_escape(nullptr, text.data(), static_cast<int>(text.size()));
  if (!encoded) throw Error("out of memory encoding a URL parameter");
  std::string out(encoded);
  curl_free(encoded);
  return out;
}

}  // namespace

Result<std::string> resolve_url(const std::string& base, const std::string& reference) {
  Result<Url> url = parse(base);
  if (!url) return fail(url.error());
  if (curl_url_set(url.value().get(), CURLUPART_URL, reference.c_str(), 0) != CURLUE_OK)
    return fail("\"" + reference + "\" is not a URL or a URL reference");
  return text_of(url.value());
}

Result<std::string> add_query(const std::string& url, const UrlParameters& parameters) {
  if (parameters.empty()) return url;
  Result<Url> parsed = parse(url);
  if (!parsed) return fail(parsed.error());
  std::string query;
  char* existing = nullptr;
  if (curl_url_get(parsed.value().get(), CURLUPART_QUERY, &existing, 0) == CURLUE_OK) {
    query = existing;
    curl_free(existing);
  }
  for (const auto& [name, value] : parameters)
    query += (query.empty() ? "" : "&") + percent_encode(name) + "=" + percent_encode(value);
  // Set as the reference "?<query>" rather than as the query part (CURLUPART_QUERY, with or
  // without CURLU_URLENCODE), which would rewrite every %XX in lowercase.
  return resolve_url(url, "?" + query);
}

std::string form_encode(const UrlParameters& fields) {
  std::string body;
  for (const auto& [name, value] : fields)
    body += (body.empty() ? "" : "&") + percent_encode(name) + "=" + percent_encode(value);
  return body;
}

}  // namespace xb::registry
