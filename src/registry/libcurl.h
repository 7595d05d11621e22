// libcurl, loaded (util/shared_library.h) when a registry is first reached rather than linked:
// with its TLS, Kerberos, LDAP, SSH and IDN libraries it is some 35 shared objects, whose
// loading and relocation every xbuild start would pay, and only registry transfers use it.
// Its header still gives the types and constants; every call goes through curl(), the table of
// the functions xbuild uses. Only the registry's .cpp files include this header.
#pragma once

#include <curl/curl.h>

#include <vector>

#include "util/shared_library.h"

namespace xb::registry {

struct CurlApi {
  decltype(&curl_version_info) version_info = nullptr;
  decltype(&curl_global_init) global_init = nullptr;
  decltype(&curl_free) free = nullptr;
  decltype(&curl_easy_init) easy_init = nullptr;
  decltype(&curl_easy_setopt) easy_setopt = nullptr;
  decltype(&curl_easy_getinfo) easy_getinfo = nullptr;
  decltype(&curl_easy_cleanup) easy_cleanup = nullptr;
  decltype(&curl_easy_strerror) easy_strerror = nullptr;
  decltype(&curl_easy_escape) easy_escape = nullptr;
  decltype(&curl_easy_nextheader) easy_nextheader = nullptr;
  decltype(&curl_slist_append) slist_append = nullptr;
  decltype(&curl_slist_free_all) slist_free_all = nullptr;
  decltype(&curl_multi_init) multi_init = nullptr;
  decltype(&curl_multi_setopt) multi_setopt = nullptr;
  decltype(&curl_multi_add_handle) multi_add_handle = nullptr;
  decltype(&curl_multi_remove_handle) multi_remove_handle = nullptr;
  decltype(&curl_multi_assign) multi_assign = nullptr;
  decltype(&curl_multi_socket_action) multi_socket_action = nullptr;
  decltype(&curl_multi_info_read) multi_info_read = nullptr;
  decltype(&curl_multi_cleanup) multi_cleanup = nullptr;
  decltype(&curl_url) url = nullptr;
  decltype(&curl_url_set) url_set = nullptr;
  decltype(&curl_url_get) url_get = nullptr;
  decltype(&curl_url_cleanup) url_cleanup = nullptr;
  decltype(&curl_getdate) getdate = nullptr;

  std::vector<LibrarySymbol> symbols();
};

// The table, loaded and libcurl initialised on the first call (thread-safe); throws Error,
// saying what to install, when libcurl cannot be loaded, lacks a function or is older than
// 7.85.0.
const CurlApi& curl();

}  // namespace xb::registry
