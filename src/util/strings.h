// Small string helpers shared by every layer.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace xb {

std::vector<std::string> split(std::string_view text, char separator);
std::string join(const std::vector<std::string>& parts, std::string_view separator);
std::string_view trim(std::string_view text);
bool starts_with(std::string_view text, std::string_view prefix);
std::string to_lower(std::string_view text);
// `text` with every `from` replaced by `to` (an empty `from` replaces nothing).
std::string replace_all(std::string text, std::string_view from, std::string_view to);

// Quotes a word for /bin/sh so that it survives word splitting unchanged.
std::string shell_quote(std::string_view word);
std::string shell_join(const std::vector<std::string>& argv);

// Rows as aligned columns: every column but the last padded to its widest cell plus two
// spaces, one line per row ("xbuild plan", "xbuild binfmt status", the run summary).
std::string render_columns(const std::vector<std::vector<std::string>>& rows);

// A JSON string literal of `text` (quotes, backslashes and control characters escaped), for
// the few hand-assembled JSON lines (progress events, reports) that need no JSON library.
std::string json_quote(std::string_view text);

// Edit distance counting a swap of neighbours as one edit, for "did you mean" suggestions.
std::size_t edit_distance(std::string_view a, std::string_view b);
// The candidate closest to `word` if it is close enough to be a likely typo, else "".
std::string closest_match(std::string_view word, const std::vector<std::string>& candidates);

// `text` with the password of every "user:password@host" in it (URLs, image references typed
// with credentials) written as "***", and a bare "scheme://token@host" as "scheme://***@host":
// what a message may echo of what a user typed. "name@sha256:..." (a digest) stays as it is.
std::string redact_credentials(std::string_view text);

}  // namespace xb
