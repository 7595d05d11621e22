// Incremental SHA-256 (OpenSSL libcrypto, EVP), printed the way OCI digests are: "sha256:<hex>".
#pragma once

#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "util/error.h"

namespace xb {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void update(const void* data, std::size_t size);
  void update(std::string_view data) { update(data.data(), data.size()); }
  // "sha256:" + 64 lowercase hex digits. Call once.
  std::string digest();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

std::string sha256_digest(std::string_view data);
Result<std::string> sha256_file(const std::filesystem::path& path);

}  // namespace xb
