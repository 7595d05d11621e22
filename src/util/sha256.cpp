// SHA-256 from OpenSSL's libcrypto, through its SHA256_Init/Update/Final functions and linked
// statically (libcrypto.a of libssl-dev): only the SHA-256 code, with the same assembly
// (SHA-NI, AVX2) as EVP, is linked in. EVP would be the modern interface, but its first use
// sets up OpenSSL's provider machinery and reads openssl.cnf, and the shared library's
// loading and relocation come first: about 6.5 ms of every start on the 2-core VMs this is
// built for, a quarter of a cached rerun. OpenSSL 3 marks these functions deprecated (for
// new code wanting other digests) but ships and tests them; meson.build checks they exist.
#define OPENSSL_SUPPRESS_DEPRECATED
#include "util/sha256.h"

#include <openssl/sha.h>

#include <fstream>
#include <vector>

namespace xb {

struct Sha256::State {
  SHA256_CTX context;
};

Sha256::Sha256() : state_(std::make_unique<State>()) {
  if (SHA256_Init(&state_->context) != 1) throw Error("cannot initialise SHA-256 (libcrypto)");
}

Sha256::~Sha256() = default;

void Sha256::update(const void* data, std::size_t size) { SHA256_Update(&state_->context, data, size); }

std::string Sha256::digest() {
  unsigned char bytes[SHA256_DIGEST_LENGTH];
  SHA256_Final(bytes, &state_->context);
  static const char hex[] = "0123456789abcdef";
  std::string out = "sha256:";
  for (unsigned int i = 0; i < SHA256_DIGEST_LENGTH; ++i) {
    out += hex[bytes[i] >> 4];
    out += hex[bytes[i] & 0xf];
  }
  return out;
}

std::string sha256_digest(std::string_view data) {
  Sha256 hash;
  hash.update(data);
  return hash.digest();
}

Result<std::string> sha256_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail("cannot read " + path.string());
  Sha256 hash;
  std::vector<char> buffer(1 << 16);
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    hash.update(buffer.data(), static_cast<std::size_t>(in.gcount()));
  }
  return hash.digest();
}

}  // namespace xb
