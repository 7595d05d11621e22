// The grammar of OCI image names and tags (the distribution spec's, as docker's
// distribution/reference reads it), apart from any registry: the config checks [image] name and
// tags with it where it reads them, the registry's reference parser with the same rules.
#pragma once

#include <string>
#include <string_view>

namespace xb {

// A tag: [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}.
bool is_tag(std::string_view tag);
// One component of a repository path: lowercase letters and digits, joined by '.', '_', "__" or
// any run of '-' ("my-app", "app_2", "a.b"); no separator first or last.
bool is_repository_component(std::string_view component);
// An image name without tag or digest: [HOST[:PORT]/]COMPONENT[/COMPONENT...]. The first
// component is a host when it holds a '.' or a ':' or is "localhost" (as docker reads it): DNS
// labels of letters, digits and '-' joined by '.', then an optional port of digits. "" when
// `name` is one, else why not, to follow "the name \"...\" ".
std::string image_name_problem(std::string_view name);

}  // namespace xb
