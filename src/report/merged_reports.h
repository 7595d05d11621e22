// `xbuild merge --junit FILE --metadata-file FILE`: the reports of a sharded run's shards made
// into one, as if one run had written them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "util/error.h"

namespace xb {

struct ReportSource {
  std::string file;  // where it was read, for messages
  std::string text;
};

// One JUnit document: the <testsuite> elements of every source (a <testsuites> document's
// children, or a lone <testsuite>), copied as they are, in the sources' order, under one
// <testsuites name="xbuild"> whose tests, failures, errors and skipped are the sums of the
// suites' attributes, whose time is the longest of the sources' (shards run side by side) and
// whose timestamp, when the sources have one, is the earliest. A source that is not such a
// document is an error naming its file.
Result<std::string> merge_junit(const std::vector<ReportSource>& sources);

struct MetadataSource {
  ReportSource report;
  std::string index_digest;  // the digest its layout's index.json names ("" for a failed run's)
};

struct MergedIndex {
  std::string digest;
  std::int64_t size = 0;
};

// One --metadata-file: the union of the sources' "platforms" maps (in the sources' order), the
// first "image.name", and the merged index as "containerimage.digest" and
// "containerimage.descriptor". A source that is not JSON, whose "containerimage.digest" is not
// its layout's index (a report of another run), or a platform in two sources is an error
// naming the file.
Result<std::string> merge_metadata(const std::vector<MetadataSource>& sources, const MergedIndex& index);

}  // namespace xb
