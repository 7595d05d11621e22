// Registry authentication: WWW-Authenticate challenges (Basic, Bearer realm/service/scope),
// credentials from docker's config.json ($DOCKER_CONFIG/config.json, else
// ~/.docker/config.json: "auths", "credHelpers", "credsStore" through docker-credential-*
// helpers), the Authorization values, token responses, and the text of a registry's JSON error
// body. Secrets are held here and put into request headers; no message built from this file
// ever contains one.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/error.h"

namespace xb::registry {

struct Challenge {
  std::string scheme;                         // lowercase: "basic", "bearer"
  std::map<std::string, std::string> params;  // lowercase names: realm, service, scope, error
};

// Parses a WWW-Authenticate value (one or more challenges, quoted or token parameter values).
std::vector<Challenge> parse_www_authenticate(std::string_view header);

struct Credentials {
  std::string username;
  std::string secret;           // a password, or an identity (refresh) token
  bool identity_token = false;  // username "<token>": use the secret as an OAuth2 refresh token
};

struct DockerConfig {
  std::filesystem::path path;                       // where it was read from, for messages
  std::map<std::string, Credentials> auths;         // by normalized registry host
  std::map<std::string, std::string> cred_helpers;  // registry host -> helper suffix
  std::string creds_store;                          // default helper suffix, or empty
};

// $DOCKER_CONFIG/config.json when DOCKER_CONFIG is set, else $HOME/.docker/config.json.
std::filesystem::path docker_config_path();

// Parses config.json text. Errors name the file and the entry.
Result<DockerConfig> parse_docker_config(std::string_view text, const std::filesystem::path& path);
// Reads the config at docker_config_path(); a missing file is an empty config.
Result<DockerConfig> load_docker_config();

// Runs a credential helper: (helper suffix, server URL) -> the helper's JSON answer.
using CredentialHelper = std::function<Result<std::string>(const std::string& helper, const std::string& server)>;
// The real one: runs `docker-credential-<helper> get` with the server URL on its stdin.
Result<std::string> run_credential_helper(const std::string& helper, const std::string& server);

// The credentials for `registry` ("localhost:5000", "docker.io"): credHelpers, then auths,
// then credsStore. nullopt when none is configured (anonymous access).
Result<std::optional<Credentials>> find_credentials(const DockerConfig& config, const std::string& registry,
                                                    const CredentialHelper& helper = run_credential_helper);

// "Basic <base64(user:password)>".
std::string basic_authorization(const Credentials& credentials);

// The token of a token server's JSON answer ("token", else "access_token").
Result<std::string> parse_token_response(std::string_view body);

// The message of a registry's error body ({"errors":[{"code":..,"message":..}]}), or "".
std::string registry_error_text(std::string_view body);
// The tags of a /tags/list answer ({"name": ..., "tags": [...]}; "tags" may be null); fails on
// anything else.
Result<std::vector<std::string>> parse_tag_list(std::string_view body);

}  // namespace xb::registry
