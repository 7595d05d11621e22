// Challenges are parsed by hand (RFC 7235: scheme, then name=value pairs, values quoted or
// plain tokens, challenges separated by commas). Docker config keys may be full URLs
// ("https://index.docker.io/v1/"); they are normalized to the host, with Docker Hub's aliases
// folded into "docker.io", before lookup. Credential helpers speak docker's protocol: the
// server URL on stdin of `docker-credential-<name> get`, {"Username","Secret"} on stdout.
// nlohmann/json reads these answers, docker's config.json, token answers and error bodies here:
// none is an OCI document (those are oci/document.cpp's).
#include "registry/auth.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <nlohmann/json.hpp>

#include "util/base64.h"
#include "util/fs.h"
#include "util/strings.h"

namespace xb::registry {

namespace {

using Json = nlohmann::json;

std::string normalize_host(std::string key) {
  for (const char* scheme : {"https://", "http://"})
    if (starts_with(key, scheme)) key = key.substr(std::string_view(scheme).size());
  if (std::size_t slash = key.find('/'); slash != std::string::npos) key.resize(slash);
  key = to_lower(key);
  if (key == "index.docker.io" || key == "registry-1.docker.io" || key == "registry.hub.docker.com") key = "docker.io";
  return key;
}

// What credential helpers are asked for: Docker Hub under its historical URL, others by host.
std::string helper_server(const std::string& registry) {
  return registry == "docker.io" ? "https://index.docker.io/v1/" : registry;
}

Result<Credentials> credentials_from_helper_answer(const std::string& answer, const std::string& helper) {
  Json document = Json::parse(answer, nullptr, false);
  if (!document.is_object() || !document.contains("Secret") || !document["Secret"].is_string())
    return fail("docker-credential-" + helper + " gave an answer without a \"Secret\"");
  Credentials credentials;
  credentials.username = document.value("Username", "");
  credentials.secret = document["Secret"].get<std::string>();
  credentials.identity_token = credentials.username == "<token>";
  return credentials;
}

}  // namespace

std::vector<Challenge> parse_www_authenticate(std::string_view header) {
  std::vector<Challenge> challenges;
  std::size_t i = 0;
  auto skip_space = [&] {
    while (i < header.size() && (header[i] == ' ' || header[i] == '\t' || header[i] == ',')) ++i;
  };
  auto read_token = [&] {
    std::size_t start = i;
    while (i < header.size() && header[i] != ' ' && header[i] != '\t' && header[i] != ',' && header[i] != '=') ++i;
    return std::string(header.substr(start, i - start));
  };
  while (true) {
    skip_space();
    if (i >= header.size()) break;
    std::string word = read_token();
    if (i < header.size() && header[i] == '=' && !challenges.empty()) {
      // name=value of the current challenge
      ++i;
      std::string value;
      if (i < header.size() && header[i] == '"') {
        for (++i; i < header.size() && header[i] != '"'; ++i) {
          if (header[i] == '\\' && i + 1 < header.size()) ++i;
          value.push_back(header[i]);
        }
        ++i;
      } else {
        std::size_t start = i;
        while (i < header.size() && header[i] != ',' && header[i] != ' ') ++i;
        value = std::string(header.substr(start, i - start));
      }
      challenges.back().params[to_lower(word)] = value;
    } else {
      challenges.push_back(Challenge{to_lower(word), {}});
    }
  }
  return challenges;
}

std::filesystem::path docker_config_path() {
  if (const char* dir = std::getenv("DOCKER_CONFIG"); dir && *dir) return std::filesystem::path(dir) / "config.json";
  const char* home = std::getenv("HOME");
  return std::filesystem::path(home ? home : "/") / ".docker" / "config.json";
}

Result<DockerConfig> parse_docker_config(std::string_view text, const std::filesystem::path& path) {
  DockerConfig config;
  config.path = path;
  Json document = Json::parse(text, nullptr, false);
  if (document.is_discarded() || !document.is_object())
    return fail(path.string() + ": not a JSON object; fix or remove the file (it holds registry credentials)");
  if (document.contains("auths") && document["auths"].is_object()) {
    for (const auto& [key, entry] : document["auths"].items()) {
      if (!entry.is_object()) continue;
      Credentials credentials;
      if (entry.contains("auth") && entry["auth"].is_string() && !entry["auth"].get<std::string>().empty()) {
        std::optional<std::string> decoded = base64_decode(entry["auth"].get<std::string>());
        std::size_t colon = decoded ? decoded->find(':') : std::string::npos;
        if (colon == std::string::npos)
          return fail(path.string() + ": auths.\"" + key +
                      "\".auth is not base64 of \"user:password\"; log in again or fix the entry");
        credentials.username = decoded->substr(0, colon);
        credentials.secret = decoded->substr(colon + 1);
      } else if (entry.contains("username") && entry["username"].is_string()) {
        credentials.username = entry["username"].get<std::string>();
        credentials.secret = entry.value("password", "");
      }
      if (entry.contains("identitytoken") && entry["identitytoken"].is_string() &&
          !entry["identitytoken"].get<std::string>().empty()) {
        credentials.secret = entry["identitytoken"].get<std::string>();
        credentials.identity_token = true;
      }
      if (!credentials.secret.empty()) config.auths[normalize_host(key)] = credentials;
    }
  }
  if (document.contains("credHelpers") && document["credHelpers"].is_object())
    for (const auto& [key, helper] : document["credHelpers"].items())
      if (helper.is_string()) config.cred_helpers[normalize_host(key)] = helper.get<std::string>();
  if (document.contains("credsStore") && document["credsStore"].is_string())
    config.creds_store = document["credsStore"].get<std::string>();
  return config;
}

Result<DockerConfig> load_docker_config() {
  std::filesystem::path path = docker_config_path();
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return DockerConfig{path, {}, {}, {}};
  Result<std::string> text = read_file(path);
  if (!text) return fail(text.error());
  return parse_docker_config(text.value(), path);
}

Result<std::string> run_credential_helper(const std::string& helper, const std::string& server) {
  std::string program = "docker-credential-" + helper;
  int input[2], output[2];
  if (pipe2(input, O_CLOEXEC) != 0) return fail("cannot run " + program + ": no pipe");
  if (pipe2(output, O_CLOEXEC) != 0) {
    close(input[0]);
    close(input[1]);
    return fail("cannot run " + program + ": no pipe");
  }
  pid_t pid = fork();
  if (pid == 0) {
    dup2(input[0], 0);
    dup2(output[1], 1);
    int null = open("/dev/null", O_WRONLY);
    if (null >= 0) dup2(null, 2);
    execlp(program.c_str(), program.c_str(), "get", static_cast<char*>(nullptr));
    _exit(127);
  }
  close(input[0]);
  close(output[1]);
  std::string request = server + "\n";
  if (pid > 0) (void)!write(input[1], request.data(), request.size());
  close(input[1]);
  std::string answer;
  char buffer[4096];
  ssize_t got;
  while (pid > 0 && (got = read(output[0], buffer, sizeof(buffer))) > 0)
    answer.append(buffer, static_cast<std::size_t>(got));
  close(output[0]);
  int status = 0;
  if (pid < 0 || waitpid(pid, &status, 0) < 0) return fail("cannot run " + program);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
    return fail(program + " was not found on PATH; install it or remove the helper from " +
                docker_config_path().string());
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    // "credentials not found in native keychain": no credentials, anonymous access
    return std::string();
  }
  return answer;
}

Result<std::optional<Credentials>> find_credentials(const DockerConfig& config, const std::string& registry,
                                                    const CredentialHelper& helper) {
  std::string host = normalize_host(registry);
  auto from_helper = [&](const std::string& name) -> Result<std::optional<Credentials>> {
    Result<std::string> answer = helper(name, helper_server(host));
    if (!answer) return fail(answer.error());
    if (trim(answer.value()).empty()) return std::optional<Credentials>();
    Result<Credentials> credentials = credentials_from_helper_answer(answer.value(), name);
    if (!credentials) return fail(credentials.error());
    return std::optional<Credentials>(credentials.value());
  };
  if (auto it = config.cred_helpers.find(host); it != config.cred_helpers.end()) return from_helper(it->second);
  if (auto it = config.auths.find(host); it != config.auths.end()) return std::optional<Credentials>(it->second);
  if (!config.creds_store.empty()) return from_helper(config.creds_store);
  return std::optional<Credentials>();
}

std::string basic_authorization(const Credentials& credentials) {
  return "Basic " + base64_encode(credentials.username + ":" + credentials.secret);
}

Result<std::string> parse_token_response(std::string_view body) {
  Json document = Json::parse(body, nullptr, false);
  if (document.is_object()) {
    for (const char* key : {"token", "access_token"})
      if (document.contains(key) && document[key].is_string() && !document[key].get<std::string>().empty())
        return document[key].get<std::string>();
  }
  return fail("the token server's answer holds no token");
}

std::string registry_error_text(std::string_view body) {
  Json document = Json::parse(body, nullptr, false);
  if (!document.is_object() || !document.contains("errors") || !document["errors"].is_array()) return "";
  std::vector<std::string> texts;
  for (const Json& error : document["errors"]) {
    auto text = [&error](const char* key) {
      return error.contains(key) && error[key].is_string() ? error[key].get<std::string>() : std::string();
    };
    std::string code = text("code");
    std::string message = text("message");
    texts.push_back(code.empty() ? message : message.empty() ? code : code + ": " + message);
  }
  return join(texts, "; ");
}

Result<std::vector<std::string>> parse_tag_list(std::string_view body) {
  Json document = Json::parse(body, nullptr, false);
  if (!document.is_object()) return fail("the tag list is not a JSON object");
  std::vector<std::string> tags;
  if (!document.contains("tags") || document["tags"].is_null()) return tags;
  if (!document["tags"].is_array()) return fail("the tag list's \"tags\" is not an array");
  for (const Json& tag : document["tags"]) {
    if (!tag.is_string()) return fail("the tag list holds a tag that is not a string");
    tags.push_back(tag.get<std::string>());
  }
  return tags;
}

}  // namespace xb::registry
