// libcurl, linked as any library is (dpkg-shlibdeps sees it, security updates reach it): its
// global state is set up once, before the first client or URL is made.
#pragma once

#include <curl/curl.h>

namespace xb::registry {

// curl_global_init, once per process (thread-safe); throws Error when libcurl cannot start.
void initialise_libcurl();

}  // namespace xb::registry
