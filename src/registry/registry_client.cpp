// The distribution-spec protocol, one registry per client.
//
// Every request goes through request(): it adds the Authorization that last worked for the
// repository, and on a 401 reads WWW-Authenticate once: Basic gets the configured credentials,
// Bearer gets a token from the realm (service and scope from the challenge, plus a pull scope
// for a mount's source repository, the credentials sent as Basic to the token server), and the
// request is sent again. Requests marked retryable are sent again after a backoff on 408, 429,
// 5xx and transport failures, honouring Retry-After. A Location header is resolved against the
// URL of the request it answered (registry/url.h), so "/v2/...", "uploads/<id>" and absolute
// URLs all work.
//
// A blob upload is a small state machine: HEAD (skip when present) -> POST (with
// ?mount=&from= when the blob is known in another repository; 201 means mounted) -> either one
// PUT ?digest= with the whole blob, or PATCH chunks (Content-Range) and a closing PUT. Any
// failure after the POST restarts the whole session with a fresh POST after a backoff, since a
// registry may have dropped a half-written session.
//
// A little over 500 lines: every step shares request()'s authorization, retry and Location
// handling, and splitting the upload machine from the reads would only move that state into a
// header.
#include "registry/registry_client.h"

#include <ctime>
#include <fstream>
#include <random>

#include "registry/reference.h"
#include "registry/url.h"
#include "util/sha256.h"
#include "util/strings.h"

namespace xb::registry {

namespace fs = std::filesystem;

struct RegistryClient::Call {
  HttpRequest request;
  std::string repository;
  std::vector<std::string> extra_scopes;
  bool retry = true;
  int attempt = 0;
  int timeouts = 0;
  bool reauthorized = false;
  std::string sent_authorization;
  std::function<void(HttpResponse)> done;
};

struct UploadState {
  std::string repository;
  BlobUpload blob;
  std::string mount_from;
  int attempt = 0;
  int timeouts = 0;
  std::function<void(Result<BlobOutcome>)> done;
};

namespace {

// The Accept header value of a manifest GET: indexes and image manifests, OCI first, then
// Docker's.
std::string manifest_accept_header() {
  return std::string("Accept: ") + oci::kMediaTypeIndex + ", " + oci::kMediaTypeManifest + ", " +
         oci::kMediaTypeDockerManifestList + ", " + oci::kMediaTypeDockerManifest;
}

// The status the retry policy sees: a permanent transport failure (certificate, protocol, a
// name that does not resolve) as -1, which it never retries.
long retry_status(const HttpResponse& response) {
  return response.status == 0 && !response.transient ? -1 : response.status;
}

double jitter() {
  static std::mt19937 generator(std::random_device{}());
  return std::uniform_real_distribution<double>(0.0, 1.0)(generator);
}

std::int64_t now_seconds() { return static_cast<std::int64_t>(std::time(nullptr)); }

}  // namespace

RegistryClient::RegistryClient(HttpClient& http, std::string registry, RegistryOptions options)
    : http_(http), registry_(std::move(registry)), options_(std::move(options)) {
  base_url_ =
      (allows_plain_http(registry_, options_.insecure_registries) ? "http://" : "https://") + api_host(registry_);
  if (!options_.credentials) {
    options_.credentials = [](const std::string& name) -> Result<std::optional<Credentials>> {
      Result<DockerConfig> config = load_docker_config();
      if (!config) return fail(config.error());
      return find_credentials(config.value(), name);
    };
  }
}

std::string RegistryClient::url(const std::string& path) const { return base_url_ + path; }

std::string RegistryClient::failure_text(const std::string& what, const HttpResponse& response) const {
  if (!response.transport_error.empty()) {
    std::string tries = response.attempts > 1 ? " (" + std::to_string(response.attempts) + " attempts)" : "";
    std::string text = redact_credentials(what + ": " + response.transport_error) + tries;
    if (response.connect_timed_out)
      return text + "; wait longer with --registry-connect-timeout SECONDS or XBUILD_REGISTRY_CONNECT_TIMEOUT";
    if (response.timed_out) return text + "; wait longer with --registry-timeout SECONDS or XBUILD_REGISTRY_TIMEOUT";
    return text;
  }
  std::string detail = registry_error_text(response.body);
  // A short plain-text body says more than the status alone ("Client sent an HTTP request to an
  // HTTPS server.").
  if (detail.empty() && response.body.size() < 200 && response.body.find('{') == std::string::npos &&
      response.body.find('<') == std::string::npos)
    detail = std::string(trim(response.body));
  std::string suffix = detail.empty() ? "" : " (" + detail + ")";
  if (response.status == 401) {
    if (!credentials_)
      return what + ": the registry asks for credentials and none are configured for " + registry_ + " in " +
             docker_config_path().string() + "; run `docker login " + registry_ + "` or add them there";
    return what + ": the registry refused the credentials for " + registry_ + " from " + docker_config_path().string() +
           suffix + "; run `docker login " + registry_ + "` again";
  }
  if (response.status == 403) return what + ": access denied (HTTP 403)" + suffix;
  if (response.status == 404) return what + ": not found (HTTP 404)" + suffix;
  return what + ": HTTP " + std::to_string(response.status) + suffix;
}

void RegistryClient::request(std::shared_ptr<Call> call) {
  ++call->attempt;
  HttpRequest sent = call->request;
  call->sent_authorization = current_authorization(call->repository);
  if (!call->sent_authorization.empty()) sent.headers.push_back("Authorization: " + call->sent_authorization);
  http_.send(std::move(sent), [this, call](HttpResponse response) {
    response.attempts = call->attempt;
    if (response.timed_out) ++call->timeouts;
    // Another request got a newer token while this one was on the way: use it.
    std::string current = current_authorization(call->repository);
    if (response.status == 401 && !current.empty() && current != call->sent_authorization) {
      --call->attempt;
      request(call);
      return;
    }
    if (response.status == 401 && !call->reauthorized) {
      authorize(call, response);
      return;
    }
    bool failed = (response.status == 0 && response.transient) || RetryPolicy::retryable_status(response.status);
    if (call->retry && failed && call->timeouts < options_.retry.max_timeout_attempts) {
      std::optional<std::chrono::milliseconds> delay = options_.retry.delay_after(
          call->attempt, response.status, response.header("retry-after"), jitter(), now_seconds());
      if (delay) {
        http_.after(*delay, [this, call] { request(call); });
        return;
      }
    }
    call->done(std::move(response));
  });
}

std::string RegistryClient::current_authorization(const std::string& repository) const {
  auto known = repo_auth_.find(repository);
  return known != repo_auth_.end() ? known->second : basic_;
}

void RegistryClient::authorize(std::shared_ptr<Call> call, const HttpResponse& response) {
  auto give_up = [call](HttpResponse original, const std::string& message) {
    if (!message.empty()) original.transport_error = message;
    call->done(std::move(original));
  };
  if (!credentials_loaded_) {
    credentials_loaded_ = true;
    Result<std::optional<Credentials>> found = options_.credentials(registry_);
    if (found)
      credentials_ = found.value();
    else
      credentials_error_ = found.error();
  }
  if (!credentials_error_.empty()) return give_up(response, credentials_error_);
  call->reauthorized = true;
  for (const Challenge& challenge : parse_www_authenticate(response.header("www-authenticate"))) {
    if (challenge.scheme == "basic") {
      if (!credentials_) return give_up(response, "");
      basic_ = basic_authorization(*credentials_);
      repo_auth_[call->repository] = basic_;
      return request(call);
    }
    if (challenge.scheme != "bearer") continue;
    auto realm = challenge.params.find("realm");
    if (realm == challenge.params.end()) continue;
    std::vector<std::string> scopes;
    if (auto scope = challenge.params.find("scope"); scope != challenge.params.end()) {
      std::string asked = scope->second;
      if (options_.push && asked.size() > 5 && asked.compare(asked.size() - 5, 5, ":pull") == 0) asked += ",push";
      scopes.push_back(asked);
    }
    for (const std::string& extra : call->extra_scopes) scopes.push_back(extra);
    UrlParameters parameters;
    if (auto service = challenge.params.find("service"); service != challenge.params.end())
      parameters.emplace_back("service", service->second);
    for (const std::string& scope : scopes) parameters.emplace_back("scope", scope);
    std::string query = form_encode(parameters);
    HttpRequest token_request;
    if (credentials_ && credentials_->identity_token) {
      token_request.method = "POST";
      token_request.url = realm->second;
      token_request.headers.push_back("Content-Type: application/x-www-form-urlencoded");
      UrlParameters form = parameters;
      form.insert(form.end(),
                  {{"grant_type", "refresh_token"}, {"client_id", "xbuild"}, {"refresh_token", credentials_->secret}});
      token_request.body = form_encode(form);
    } else {
      Result<std::string> token_url = add_query(realm->second, parameters);
      if (!token_url)
        return give_up(response,
                       redact_credentials("cannot get a token from " + realm->second + ": " + token_url.error()));
      token_request.url = token_url.value();
      if (credentials_) token_request.headers.push_back("Authorization: " + basic_authorization(*credentials_));
    }
    std::string realm_url = realm->second;
    std::string key = call->repository + " " + realm_url + "?" + query;
    std::vector<std::shared_ptr<Call>>& waiting = token_waiters_[key];
    waiting.push_back(call);
    if (waiting.size() > 1) return;  // a fetch of this token is on the way
    http_.send(std::move(token_request), [this, key, response, realm_url](HttpResponse answer) {
      std::vector<std::shared_ptr<Call>> calls = std::move(token_waiters_[key]);
      token_waiters_.erase(key);
      std::string error;
      if (answer.status != 200) {
        error = redact_credentials(failure_text("cannot get a token from " + realm_url, answer));
      } else if (Result<std::string> token = parse_token_response(answer.body); !token) {
        error = token.error();
      } else {
        repo_auth_[calls.front()->repository] = "Bearer " + token.value();
      }
      for (const std::shared_ptr<Call>& waiter : calls) {
        if (!error.empty()) {
          HttpResponse refused = response;
          refused.transport_error = error;
          waiter->done(std::move(refused));
        } else {
          request(waiter);
        }
      }
    });
    return;
  }
  give_up(response, "");
}

void RegistryClient::blob_exists(const std::string& repository, const std::string& digest,
                                 std::function<void(Result<bool>)> done) {
  auto call = std::make_shared<Call>();
  call->request.method = "HEAD";
  call->request.url = url("/v2/" + repository + "/blobs/" + digest);
  call->repository = repository;
  std::string what = "cannot check " + registry_ + "/" + repository + "@" + digest;
  call->done = [this, done, what](HttpResponse response) {
    if (response.status == 200) return done(true);
    if (response.status == 404) return done(false);
    done(fail(failure_text(what, response)));
  };
  request(call);
}

void RegistryClient::upload_blob(const std::string& repository, BlobUpload blob, const std::string& mount_from,
                                 std::function<void(Result<BlobOutcome>)> done) {
  auto state = std::make_shared<UploadState>();
  state->repository = repository;
  state->blob = std::move(blob);
  state->mount_from = mount_from;
  state->done = std::move(done);
  blob_exists(repository, state->blob.digest, [this, state](Result<bool> exists) {
    if (!exists) return state->done(fail(exists.error()));
    if (exists.value()) return state->done(BlobOutcome::existed);
    start_upload(state);
  });
}

void RegistryClient::start_upload(std::shared_ptr<UploadState> state) {
  ++state->attempt;
  auto call = std::make_shared<Call>();
  call->request.method = "POST";
  call->request.url = url("/v2/" + state->repository + "/blobs/uploads/");
  bool mount = !state->mount_from.empty() && state->mount_from != state->repository;
  if (mount) {
    Result<std::string> mount_url =
        add_query(call->request.url, {{"mount", state->blob.digest}, {"from", state->mount_from}});
    if (!mount_url) return state->done(fail(mount_url.error()));
    call->request.url = mount_url.value();
    call->extra_scopes.push_back("repository:" + state->mount_from + ":pull");
  }
  call->repository = state->repository;
  call->done = [this, state, sent = call->request.url](HttpResponse response) {
    if (response.status == 201) return state->done(BlobOutcome::mounted);
    std::string location = response.header("location");
    if (response.status == 202 && state->blob.path.empty() && state->blob.content.empty() && state->blob.size > 0)
      return state->done(fail("the registry did not mount " + state->blob.digest + " from " + registry_ + "/" +
                              state->mount_from + " into " + state->repository));
    if (response.status != 202 || location.empty())
      return upload_failed(state, failure_text("cannot start the upload of " + state->blob.digest, response),
                           retry_status(response), response.header("retry-after"), response.timed_out);
    Result<std::string> upload = resolve_url(sent, location);
    if (!upload)
      return upload_failed(
          state, "cannot start the upload of " + state->blob.digest + ": the Location header " + upload.error(), -1, "",
          false);
    if (state->blob.size > options_.chunk_threshold && !state->blob.path.empty())
      send_chunk(state, upload.value(), 0);
    else
      finish_upload(state, upload.value(), true);
  };
  request(call);
}

void RegistryClient::send_chunk(std::shared_ptr<UploadState> state, const std::string& location, std::int64_t offset) {
  std::int64_t length = std::min(options_.chunk_size, state->blob.size - offset);
  auto call = std::make_shared<Call>();
  call->request.method = "PATCH";
  call->request.url = location;
  call->request.body_file = state->blob.path;
  call->request.body_offset = offset;
  call->request.body_length = length;
  call->request.headers = {"Content-Type: application/octet-stream",
                           "Content-Range: " + std::to_string(offset) + "-" + std::to_string(offset + length - 1)};
  call->repository = state->repository;
  call->retry = false;
  call->done = [this, state, location, offset, length](HttpResponse response) {
    std::string next = response.header("location");
    if (response.status != 202 || next.empty())
      return upload_failed(state, failure_text("cannot upload " + state->blob.digest, response), retry_status(response),
                           response.header("retry-after"), response.timed_out);
    Result<std::string> upload = resolve_url(location, next);
    if (!upload)
      return upload_failed(state, "cannot upload " + state->blob.digest + ": the Location header " + upload.error(), -1,
                           "", false);
    if (offset + length >= state->blob.size) return finish_upload(state, upload.value(), false);
    send_chunk(state, upload.value(), offset + length);
  };
  request(call);
}

void RegistryClient::finish_upload(std::shared_ptr<UploadState> state, const std::string& location, bool with_body) {
  auto call = std::make_shared<Call>();
  call->request.method = "PUT";
  Result<std::string> put_url = add_query(location, {{"digest", state->blob.digest}});
  if (!put_url)
    return upload_failed(state, "cannot upload " + state->blob.digest + ": " + put_url.error(), -1, "", false);
  call->request.url = put_url.value();
  call->request.headers = {"Content-Type: application/octet-stream"};
  if (with_body) {
    if (state->blob.path.empty())
      call->request.body = state->blob.content;
    else
      call->request.body_file = state->blob.path;
  }
  call->repository = state->repository;
  call->retry = false;
  call->done = [this, state](HttpResponse response) {
    if (response.status != 201)
      return upload_failed(state, failure_text("cannot upload " + state->blob.digest, response), retry_status(response),
                           response.header("retry-after"), response.timed_out);
    std::string answered = response.header("docker-content-digest");
    if (!answered.empty() && answered != state->blob.digest)
      return state->done(fail("the registry stored " + state->blob.digest + " under the digest " + answered));
    state->done(BlobOutcome::uploaded);
  };
  request(call);
}

void RegistryClient::upload_failed(std::shared_ptr<UploadState> state, const std::string& message, long status,
                                   const std::string& retry_after, bool timed_out) {
  if (timed_out) ++state->timeouts;
  std::optional<std::chrono::milliseconds> delay =
      options_.retry.delay_after(state->attempt, status, retry_after, jitter(), now_seconds());
  if (!delay || state->timeouts >= options_.retry.max_timeout_attempts) return state->done(fail(message));
  http_.after(*delay, [this, state] { start_upload(state); });
}

void RegistryClient::put_manifest(const std::string& repository, const std::string& reference,
                                  const std::string& media_type, const std::string& body,
                                  std::function<void(Status)> done) {
  auto call = std::make_shared<Call>();
  call->request.method = "PUT";
  call->request.url = url("/v2/" + repository + "/manifests/" + reference);
  call->request.headers = {"Content-Type: " + media_type};
  call->request.body = body;
  call->repository = repository;
  std::string digest = sha256_digest(body);
  std::string what = "cannot push the manifest " + registry_ + "/" + repository +
                     (starts_with(reference, "sha256:") ? "@" : ":") + reference;
  call->done = [this, done, digest, what](HttpResponse response) {
    if (response.status != 201) return done(fail(failure_text(what, response)));
    std::string answered = response.header("docker-content-digest");
    if (!answered.empty() && answered != digest)
      return done(fail(what + ": the registry answered with the digest " + answered + " instead of " + digest));
    done(Ok{});
  };
  request(call);
}

void RegistryClient::get_manifest(const std::string& repository, const std::string& reference,
                                  std::function<void(Result<oci::Manifest>)> done) {
  read_manifest(repository, reference, false, [done](Result<std::optional<oci::Manifest>> found) {
    if (!found) return done(fail(found.error()));
    done(std::move(*found.value()));
  });
}

void RegistryClient::find_manifest(const std::string& repository, const std::string& reference,
                                   std::function<void(Result<std::optional<oci::Manifest>>)> done) {
  read_manifest(repository, reference, true, std::move(done));
}

void RegistryClient::read_manifest(const std::string& repository, const std::string& reference, bool missing_ok,
                                   std::function<void(Result<std::optional<oci::Manifest>>)> done) {
  auto call = std::make_shared<Call>();
  call->request.url = url("/v2/" + repository + "/manifests/" + reference);
  call->request.headers = {manifest_accept_header()};
  call->repository = repository;
  std::string where = registry_ + "/" + repository + (starts_with(reference, "sha256:") ? "@" : ":") + reference;
  call->done = [this, done, where, reference, missing_ok](HttpResponse response) {
    if (missing_ok && response.status == 404) return done(std::optional<oci::Manifest>());
    if (response.status != 200) return done(fail(failure_text("cannot get " + where, response)));
    Result<oci::Manifest> manifest =
        oci::parse_manifest(std::move(response.body), response.header("content-type"), where);
    if (!manifest) return done(fail(manifest.error()));
    std::string answered = response.header("docker-content-digest");
    if ((starts_with(reference, "sha256:") && manifest.value().digest != reference) ||
        (!answered.empty() && answered != manifest.value().digest))
      return done(fail(where + ": the manifest's content does not match its digest " +
                       (answered.empty() ? reference : answered)));
    done(std::optional<oci::Manifest>(std::move(manifest).value()));
  };
  request(call);
}

namespace {

// The target of a Link header's rel="next" (RFC 8288: `<URL>; rel="next"`), or "".
std::string next_link(const std::string& link) {
  for (const std::string& part : split(link, ',')) {
    std::size_t open = part.find('<'), close = part.find('>');
    if (open == std::string::npos || close == std::string::npos || close < open) continue;
    std::string params = part.substr(close + 1);
    if (params.find("rel=\"next\"") != std::string::npos || params.find("rel=next") != std::string::npos)
      return part.substr(open + 1, close - open - 1);
  }
  return "";
}

// A registry whose pages never end (a link back to an earlier page) would keep us here for ever.
constexpr std::size_t kMaxTags = 10'000'000;

}  // namespace

void RegistryClient::list_tags(const std::string& repository,
                               std::function<void(Result<std::vector<std::string>>)> done) {
  list_tags_page(repository, url("/v2/" + repository + "/tags/list"), std::make_shared<std::vector<std::string>>(),
                 std::move(done));
}

void RegistryClient::list_tags_page(const std::string& repository, const std::string& page_url,
                                    std::shared_ptr<std::vector<std::string>> tags,
                                    std::function<void(Result<std::vector<std::string>>)> done) {
  auto call = std::make_shared<Call>();
  call->request.url = page_url;
  call->repository = repository;
  std::string what = "cannot list the tags of " + registry_ + "/" + repository;
  call->done = [this, repository, page_url, tags, done, what](HttpResponse response) {
    // distribution answers NAME_UNKNOWN for a repository nothing was pushed to yet.
    if (response.status == 404 && tags->empty()) return done(std::vector<std::string>());
    if (response.status != 200) return done(fail(failure_text(what, response)));
    Result<std::vector<std::string>> page = parse_tag_list(response.body);
    if (!page) return done(fail(what + ": " + page.error()));
    tags->insert(tags->end(), page.value().begin(), page.value().end());
    std::string next = next_link(response.header("link"));
    if (next.empty()) return done(std::move(*tags));
    Result<std::string> next_url = resolve_url(page_url, next);
    if (!next_url) return done(fail(what + ": the Link header " + next_url.error()));
    if (tags->size() > kMaxTags || next_url.value() == page_url)
      return done(fail(what + ": the registry's pages do not end"));
    list_tags_page(repository, next_url.value(), tags, done);
  };
  request(call);
}

void RegistryClient::get_blob(const std::string& repository, const oci::Descriptor& blob, const fs::path& path,
                              std::function<void(Status)> done) {
  auto call = std::make_shared<Call>();
  fs::path partial = path.string() + ".partial";
  call->request.url = url("/v2/" + repository + "/blobs/" + blob.digest);
  call->request.response_file = partial;
  call->request.max_response_bytes = blob.size;
  call->request.follow_redirects = true;
  call->repository = repository;
  std::string what = "cannot get " + registry_ + "/" + repository + "@" + blob.digest;
  call->done = [this, done, what, blob, path, partial](HttpResponse response) {
    std::error_code ec;
    if (response.status != 200) {
      fs::remove(partial, ec);
      return done(fail(failure_text(what, response)));
    }
    // An empty body writes nothing, so no file was made for an empty blob.
    if (!fs::exists(partial, ec)) std::ofstream(partial, std::ios::binary);
    Result<std::string> digest = sha256_file(partial);
    std::int64_t size = static_cast<std::int64_t>(fs::file_size(partial, ec));
    if (!digest || ec || digest.value() != blob.digest || size != blob.size) {
      fs::remove(partial, ec);
      return done(fail(what + ": the downloaded content does not match its digest and size (" +
                       std::to_string(blob.size) + " bytes)"));
    }
    fs::rename(partial, path, ec);
    if (ec) return done(fail("cannot write " + path.string() + ": " + ec.message()));
    done(Ok{});
  };
  request(call);
}

}  // namespace xb::registry
