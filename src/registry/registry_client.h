// One registry's HTTP API (distribution-spec 1.1) on an HttpClient: every operation starts at
// once and reports through its callback on the loop. Authentication (anonymous, Basic, Bearer
// tokens) and retries with backoff happen inside; callers see a result or a complete message.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "oci/document.h"
#include "registry/auth.h"
#include "registry/http_client.h"
#include "registry/retry.h"
#include "util/error.h"

namespace xb::registry {

struct RegistryOptions {
  std::vector<std::string> insecure_registries;  // --insecure-registry HOST[:PORT]
  RetryPolicy retry;
  // Connect and first-byte/stall timeouts of every transfer (--registry-connect-timeout,
  // --registry-timeout); messages about a timeout name those flags.
  HttpClientOptions http;
  std::int64_t chunk_threshold = 32 * 1024 * 1024;  // blobs above this go up in PATCH chunks
  std::int64_t chunk_size = 16 * 1024 * 1024;
  // Credentials for a registry; default: docker's config.json and credential helpers.
  std::function<Result<std::optional<Credentials>>(const std::string& registry)> credentials;
  // Ask token servers for pull and push at once (a push would otherwise need a second token).
  bool push = false;
  // The HTTP client an operation makes for its loop; empty: libcurl's (make_curl_http_client).
  // Tests put a fake here.
  std::function<std::unique_ptr<HttpClient>(uv_loop_t* loop)> http_client;
};

// Sets the timeouts given in seconds; 0 keeps the default.
inline void set_timeouts(RegistryOptions& options, unsigned connect_seconds, unsigned stall_seconds) {
  if (connect_seconds > 0) options.http.connect_timeout = std::chrono::seconds(connect_seconds);
  if (stall_seconds > 0) options.http.low_speed_timeout = std::chrono::seconds(stall_seconds);
}

// A blob to upload: a file (or, when `path` is empty, `content`) with its digest and size.
struct BlobUpload {
  std::string digest;
  std::int64_t size = 0;
  std::filesystem::path path;
  std::string content;
};

enum class BlobOutcome { uploaded, existed, mounted };

class RegistryClient {
 public:
  RegistryClient(HttpClient& http, std::string registry, RegistryOptions options);

  const std::string& registry() const { return registry_; }

  // HEAD /v2/<repo>/blobs/<digest>: true when the registry has it.
  void blob_exists(const std::string& repository, const std::string& digest, std::function<void(Result<bool>)> done);
  // Uploads unless present: HEAD, then a mount from `mount_from` when given, else POST + PUT
  // (PATCH chunks above the threshold). A failed upload restarts its session.
  void upload_blob(const std::string& repository, BlobUpload blob, const std::string& mount_from,
                   std::function<void(Result<BlobOutcome>)> done);
  // PUT /v2/<repo>/manifests/<reference> with Content-Type = media type; checks the digest
  // the registry answers with.
  void put_manifest(const std::string& repository, const std::string& reference, const std::string& media_type,
                    const std::string& body, std::function<void(Status)> done);
  // GET /v2/<repo>/manifests/<reference>; verifies the digest when the reference is one.
  void get_manifest(const std::string& repository, const std::string& reference,
                    std::function<void(Result<oci::Manifest>)> done);
  // The same, with a missing manifest (HTTP 404: no such tag or repository) as no manifest.
  void find_manifest(const std::string& repository, const std::string& reference,
                     std::function<void(Result<std::optional<oci::Manifest>>)> done);
  // GET /v2/<repo>/tags/list, following the Link rel="next" pages; a repository the registry
  // does not know has no tags.
  void list_tags(const std::string& repository, std::function<void(Result<std::vector<std::string>>)> done);
  // GET a blob into `path` (through a temporary name), verifying size and digest.
  void get_blob(const std::string& repository, const oci::Descriptor& blob, const std::filesystem::path& path,
                std::function<void(Status)> done);

 private:
  struct Call;
  void request(std::shared_ptr<Call> call);
  void read_manifest(const std::string& repository, const std::string& reference, bool missing_ok,
                     std::function<void(Result<std::optional<oci::Manifest>>)> done);
  void list_tags_page(const std::string& repository, const std::string& page_url,
                      std::shared_ptr<std::vector<std::string>> tags,
                      std::function<void(Result<std::vector<std::string>>)> done);
  void authorize(std::shared_ptr<Call> call, const HttpResponse& response);
  std::string current_authorization(const std::string& repository) const;
  std::string url(const std::string& path) const;
  std::string failure_text(const std::string& what, const HttpResponse& response) const;
  void start_upload(std::shared_ptr<struct UploadState> state);
  void send_chunk(std::shared_ptr<struct UploadState> state, const std::string& location, std::int64_t offset);
  void finish_upload(std::shared_ptr<struct UploadState> state, const std::string& location, bool with_body);
  void upload_failed(std::shared_ptr<struct UploadState> state, const std::string& message, long status,
                     const std::string& retry_after, bool timed_out);

  HttpClient& http_;
  std::string registry_;
  std::string base_url_;  // "https://host" or "http://host"; Locations are resolved against the request
  RegistryOptions options_;
  bool credentials_loaded_ = false;
  std::optional<Credentials> credentials_;
  std::string credentials_error_;
  std::string basic_;  // Authorization for Basic registries
  // Calls waiting for a token being fetched, by token request: concurrent 401s share one fetch.
  std::map<std::string, std::vector<std::shared_ptr<Call>>> token_waiters_;
  std::map<std::string, std::string> repo_auth_;  // repository -> the Authorization that worked
};

}  // namespace xb::registry
