#include "registry/libcurl.h"

#include <string>

#include "util/error.h"

namespace xb::registry {

namespace {

// The soname of libcurl's ABI (4 since 2006); Debian's libcurl4 package installs it.
constexpr SharedLibrary kLibcurl = {"libcurl", "libcurl.so.4", "registry transfers need libcurl",
                                    "install libcurl 7.85 or newer (Debian: apt-get install libcurl4)"};
// CURLOPT_PROTOCOLS_STR, which the HTTP client sets, is 7.85.0's (curl_easy_nextheader 7.84.0's).
constexpr unsigned kOldestLibcurl = 0x075500;

// Checks the version and initialises libcurl once.
Result<const CurlApi*> initialise(const Result<const CurlApi*>& loaded) {
  if (!loaded) return fail(loaded.error());
  const CurlApi& api = *loaded.value();
  const curl_version_info_data* version = api.version_info(CURLVERSION_NOW);
  if (!version || version->version_num < kOldestLibcurl)
    return fail(std::string("the libcurl found (") + kLibcurl.soname + ") is version " +
                (version && version->version ? version->version : "?") + ", older than 7.85.0; " +
                kLibcurl.install_hint);
  if (CURLcode code = api.global_init(CURL_GLOBAL_DEFAULT); code != CURLE_OK)
    return fail(std::string("cannot initialise libcurl: ") + api.easy_strerror(code));
  return loaded;
}

}  // namespace

std::vector<LibrarySymbol> CurlApi::symbols() {
  return {{"curl_version_info", version_info},
          {"curl_global_init", global_init},
          {"curl_free", free},
          {"curl_easy_init", easy_init},
          {"curl_easy_setopt", easy_setopt},
          {"curl_easy_getinfo", easy_getinfo},
          {"curl_easy_cleanup", easy_cleanup},
          {"curl_easy_strerror", easy_strerror},
          {"curl_easy_escape", easy_escape},
          {"curl_easy_nextheader", easy_nextheader},
          {"curl_slist_append", slist_append},
          {"curl_slist_free_all", slist_free_all},
          {"curl_multi_init", multi_init},
          {"curl_multi_setopt", multi_setopt},
          {"curl_multi_add_handle", multi_add_handle},
          {"curl_multi_remove_handle", multi_remove_handle},
          {"curl_multi_assign", multi_assign},
          {"curl_multi_socket_action", multi_socket_action},
          {"curl_multi_info_read", multi_info_read},
          {"curl_multi_cleanup", multi_cleanup},
          {"curl_url", url},
          {"curl_url_set", url_set},
          {"curl_url_get", url_get},
          {"curl_url_cleanup", url_cleanup},
          {"curl_getdate", getdate}};
}

const CurlApi& curl() {
  static const Result<const CurlApi*> api = initialise(load_api<CurlApi>(kLibcurl));
  if (!api) throw Error(api.error());
  return *api.value();
}

}  // namespace xb::registry
