// EVP_EncodeBlock and EVP_DecodeBlock are plain table conversions: unlike EVP's digests they do
// not set up OpenSSL's providers or read its configuration. EVP_DecodeBlock wants whole groups
// of four characters and decodes '=' as zero bits, so the text is cut at its padding, padded
// again to a group, and the bytes the padding stands for are dropped from the result.
#include "util/base64.h"

#include <openssl/evp.h>

namespace xb {

std::string base64_encode(std::string_view data) {
  std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
  int length = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                               reinterpret_cast<const unsigned char*>(data.data()), static_cast<int>(data.size()));
  out.resize(static_cast<std::size_t>(length));
  return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
  std::string groups(text.substr(0, text.find('=')));
  std::size_t padding = (4 - groups.size() % 4) % 4;
  groups.append(padding, '=');
  std::string out(groups.size() / 4 * 3, '\0');
  int length = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                               reinterpret_cast<const unsigned char*>(groups.data()), static_cast<int>(groups.size()));
  if (length < 0 || static_cast<std::size_t>(length) != out.size()) return std::nullopt;
  out.resize(out.size() - padding);
  return out;
}

}  // namespace xb
