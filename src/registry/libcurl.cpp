#include "registry/libcurl.h"

#include <string>

#include "util/error.h"

namespace xb::registry {

void initialise_libcurl() {
  static const CURLcode code = curl_global_init(CURL_GLOBAL_DEFAULT);
  if (code != CURLE_OK) throw Error(std::string("cannot initialise libcurl: ") + curl_easy_strerror(code));
}

}  // namespace xb::registry
