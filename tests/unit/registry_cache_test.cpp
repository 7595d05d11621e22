#include "shared_cache/registry_cache.h"

#include <gtest/gtest.h>

#include <map>
#include <memory>

#include "support/fake_http_client.h"
#include "support/memory_registry.h"
#include "support/scratch_dir.h"
#include "util/fs.h"
#include "util/sha256.h"
#include "util/strings.h"

namespace xb {
namespace {

namespace fs = std::filesystem;
using registry::HttpRequest;
using registry::HttpResponse;
using testing::FakeHttpClient;
using testing::MemoryRegistry;
using testing::ScratchDir;

const std::string kBuildKey = "sha256:" + std::string(64, '1');
const std::string kTestKey = "sha256:" + std::string(64, '2');

CacheRef cache_ref() { return parse_cache_ref("127.0.0.1:5000/team/cache", true).value(); }

// Two entries of one platform: build wrote a binary and a log, test only a log.
void store_two_entries(ScratchDir& scratch, CacheStore& store) {
  scratch.write("out/hello", "ELF binary");
  scratch.write("out/empty", "");
  scratch.write("logs/build.log", "cc -o hello\n");
  scratch.write("logs/test.log", "ok\n");
  ASSERT_TRUE(store
                  .store(kBuildKey, scratch / "out", {{"build", scratch / "logs/build.log"}}, nullptr,
                         {"linux/arm64", "build", 1.5})
                  .ok());
  Result<OutputSnapshot> now = snapshot_output(scratch / "out");
  ASSERT_TRUE(store
                  .store(kTestKey, scratch / "out", {{"test", scratch / "logs/test.log"}}, &now.value(),
                         {"linux/arm64", "test", 0.25})
                  .ok());
}

std::map<std::string, std::string> files_under(const fs::path& dir) {
  std::map<std::string, std::string> files;
  for (const fs::directory_entry& entry : fs::recursive_directory_iterator(dir))
    if (entry.is_regular_file()) files[entry.path().lexically_relative(dir).string()] = read_file(entry.path()).value();
  return files;
}

TEST(ParseCacheRef, ARepositoryWithOrWithoutAMode) {
  Result<CacheRef> plain = parse_cache_ref("localhost:5000/team/cache", false);
  ASSERT_TRUE(plain.ok()) << plain.error();
  EXPECT_EQ(plain.value().repository.registry, "localhost:5000");
  EXPECT_EQ(plain.value().repository.repository, "team/cache");
  EXPECT_EQ(plain.value().repository.tag, "");
  EXPECT_EQ(plain.value().mode, CacheRef::Mode::min);
  EXPECT_EQ(plain.value().name(), "localhost:5000/team/cache");
  EXPECT_EQ(plain.value().text, "localhost:5000/team/cache");

  Result<CacheRef> max = parse_cache_ref("localhost:5000/cache,mode=max", true);
  ASSERT_TRUE(max.ok()) << max.error();
  EXPECT_EQ(max.value().mode, CacheRef::Mode::max);
  EXPECT_EQ(max.value().name(), "localhost:5000/cache");

  Result<CacheRef> buildx = parse_cache_ref("type=registry,ref=ghcr.io/org/app-cache,mode=min", true);
  ASSERT_TRUE(buildx.ok()) << buildx.error();
  EXPECT_EQ(buildx.value().name(), "ghcr.io/org/app-cache");
  EXPECT_EQ(buildx.value().mode, CacheRef::Mode::min);
}

TEST(ParseCacheRef, EachMistakeIsNamedWithItsFix) {
  auto error = [](const std::string& text, bool for_upload) {
    Result<CacheRef> ref = parse_cache_ref(text, for_upload);
    return ref.ok() ? std::string("accepted") : ref.error();
  };
  EXPECT_EQ(error("", false),
            "invalid cache ref \"\": it is empty; write HOST[:PORT]/PATH, for example localhost:5000/cache");
  EXPECT_EQ(error("localhost:5000/cache:v1", true),
            "invalid cache ref \"localhost:5000/cache:v1\": a cache is a repository, not a tag (xbuild tags each entry "
            "itself); write localhost:5000/cache");
  EXPECT_EQ(error("localhost:5000/cache@sha256:" + std::string(64, 'a'), false),
            "invalid cache ref \"localhost:5000/cache@sha256:" + std::string(64, 'a') +
                "\": a cache is a repository, not a digest; write localhost:5000/cache");
  EXPECT_EQ(error("localhost:5000/cache,mode=max", false),
            "invalid cache ref \"localhost:5000/cache,mode=max\": mode=max applies only to the cache written (what is "
            "uploaded); remove it here");
  EXPECT_EQ(error("localhost:5000/cache,mode=all", true),
            "invalid cache ref \"localhost:5000/cache,mode=all\": mode \"all\" is neither min (one entry per target) "
            "nor max (one per stage)");
  EXPECT_EQ(error("localhost:5000/cache,compression=zstd", true),
            "invalid cache ref \"localhost:5000/cache,compression=zstd\": unknown option \"compression=zstd\"; write "
            "HOST[:PORT]/PATH[,mode=min|max] or type=registry,ref=HOST[:PORT]/PATH[,mode=min|max]");
  EXPECT_EQ(error("type=local,dest=/tmp/cache", true),
            "invalid cache ref \"type=local,dest=/tmp/cache\": type \"local\" is not supported; xbuild shares its "
            "cache through a registry: type=registry,ref=HOST[:PORT]/PATH");
  EXPECT_EQ(error("type=registry", true),
            "invalid cache ref \"type=registry\": buildx's form needs type=registry and ref=HOST[:PORT]/PATH");
  EXPECT_EQ(error("cache", false),
            "invalid cache ref \"cache\": it names no registry; write HOST[:PORT]/PATH, for example "
            "localhost:5000/cache");
  EXPECT_EQ(error("localhost:5000/Cache", false),
            "invalid cache ref \"localhost:5000/Cache\": the name \"localhost:5000/Cache\" has the path component "
            "\"Cache\": a repository path is lowercase letters and digits, separated by '/', '.', '_' or '-'");
}

TEST(RegistryCache, TheTagIsTheKeysHex) { EXPECT_EQ(cache_tag(kBuildKey), "xb-" + std::string(64, '1')); }

TEST(RegistryCache, TheManifestIsAnArtifactWithTheEntryTextFirstAndItsAnnotations) {
  ScratchDir scratch;
  CacheStore store(scratch / "cache");
  store_two_entries(scratch, store);
  std::string text = store.entry_text(kTestKey).value();
  std::string log = sha256_digest("ok\n");
  EXPECT_EQ(cache_entry_manifest(kTestKey, store).value(),
            "{\"annotations\":{\"dev.xbuild.cache.key\":\"" + kTestKey +
                "\",\"dev.xbuild.cache.platform\":\"linux/arm64\",\"dev.xbuild.cache.seconds\":\"0.250\","
                "\"dev.xbuild.cache.stage\":\"test\"},\"artifactType\":\"application/vnd.xbuild.cache.entry.v1\","
                "\"config\":{\"digest\":\"" +
                sha256_digest("{}") +
                "\",\"mediaType\":\"application/vnd.oci.empty.v1+json\",\"size\":2},\"layers\":[{\"digest\":\"" +
                sha256_digest(text) + "\",\"mediaType\":\"application/vnd.xbuild.cache.entry.v1+text\",\"size\":" +
                std::to_string(text.size()) + "},{\"digest\":\"" + log +
                "\",\"mediaType\":\"application/octet-stream\",\"size\":3}],\"mediaType\":\"application/"
                "vnd.oci.image.manifest.v1+json\",\"schemaVersion\":2}");
}

TEST(RegistryCache, UploadedEntriesFetchIntoAnEmptyStoreByteForByte) {
  ScratchDir scratch;
  CacheStore machine_a(scratch / "a");
  store_two_entries(scratch, machine_a);
  MemoryRegistry registry;
  CacheTransfer up = upload_cache_entries(cache_ref(), {kBuildKey, kTestKey}, machine_a, registry.options());
  EXPECT_EQ(up.warnings, std::vector<std::string>());
  EXPECT_EQ(up.entries, 2u);
  EXPECT_EQ(up.keys, (std::vector<std::string>{kBuildKey, kTestKey}));
  EXPECT_EQ(up.blobs, 7u);  // two entry texts, the binary, the empty file, two logs, the empty config
  EXPECT_EQ(registry.manifests.size(), 2u);
  EXPECT_TRUE(registry.manifests.count(cache_tag(kBuildKey)));

  CacheTransfer again = upload_cache_entries(cache_ref(), {kBuildKey, kTestKey}, machine_a, registry.options());
  EXPECT_EQ(again.entries, 2u);
  EXPECT_EQ(again.blobs, 0u) << "every blob is there already";

  Result<std::vector<std::string>> keys = list_cache_keys(cache_ref(), registry.options());
  ASSERT_TRUE(keys.ok()) << keys.error();
  EXPECT_EQ(keys.value(), (std::vector<std::string>{kBuildKey, kTestKey}));

  CacheStore machine_b(scratch / "b");
  CacheTransfer down = fetch_cache_entries({cache_ref()}, keys.value(), machine_b, registry.options());
  EXPECT_EQ(down.warnings, std::vector<std::string>());
  EXPECT_EQ(down.entries, 2u);
  EXPECT_EQ(down.keys, (std::vector<std::string>{kBuildKey, kTestKey}));
  EXPECT_EQ(files_under(scratch / "b/entries"), files_under(scratch / "a/entries"));
  EXPECT_EQ(files_under(scratch / "b/objects"), files_under(scratch / "a/objects"));
  EXPECT_EQ(machine_b.entry(kBuildKey)->meta, (EntryMeta{"linux/arm64", "build", 1.5}));

  CacheTransfer nothing = fetch_cache_entries({cache_ref()}, keys.value(), machine_b, registry.options());
  EXPECT_EQ(nothing.entries, 0u);
  EXPECT_EQ(nothing.warnings, std::vector<std::string>());
}

TEST(RegistryCache, ATamperedBlobLeavesItsEntryOutWholeWithAWarningNamingTheDigest) {
  ScratchDir scratch;
  CacheStore machine_a(scratch / "a");
  store_two_entries(scratch, machine_a);
  MemoryRegistry registry;
  ASSERT_EQ(upload_cache_entries(cache_ref(), {kBuildKey, kTestKey}, machine_a, registry.options()).entries, 2u);
  std::string binary = sha256_digest("ELF binary");
  registry.blobs[binary] = "ELF binarx";

  CacheStore machine_b(scratch / "b");
  CacheTransfer down = fetch_cache_entries({cache_ref()}, {kBuildKey, kTestKey}, machine_b, registry.options());
  EXPECT_EQ(down.entries, 1u);
  EXPECT_EQ(down.keys, std::vector<std::string>{kTestKey});
  EXPECT_EQ(down.warnings,
            std::vector<std::string>{"registry cache 127.0.0.1:5000/team/cache: entry " + cache_tag(kBuildKey) +
                                     " (linux/arm64 build) not used: cannot get 127.0.0.1:5000/team/cache@" + binary +
                                     ": the downloaded content does not match its digest and size (10 bytes)"});
  EXPECT_FALSE(machine_b.contains(kBuildKey));
  EXPECT_TRUE(machine_b.contains(kTestKey));
  EXPECT_FALSE(fs::exists(machine_b.object_path(binary.substr(7))));
  EXPECT_FALSE(fs::exists(machine_b.object_path(sha256_digest("cc -o hello\n").substr(7))))
      << "the entry's other objects are not imported either";
  std::vector<std::string> left;
  for (const fs::directory_entry& entry : fs::directory_iterator(scratch / "b"))
    left.push_back(entry.path().filename());
  std::sort(left.begin(), left.end());
  EXPECT_EQ(left, (std::vector<std::string>{"entries", "lock", "objects"})) << "no staging directory left";
}

TEST(RegistryCache, AnEntryTextNamingAnObjectTheManifestLacksIsNotUsed) {
  ScratchDir scratch;
  CacheStore machine_a(scratch / "a");
  store_two_entries(scratch, machine_a);
  MemoryRegistry registry;
  ASSERT_EQ(upload_cache_entries(cache_ref(), {kTestKey}, machine_a, registry.options()).entries, 1u);
  // The manifest of test's entry without its log layer.
  std::string& manifest = registry.manifests[cache_tag(kTestKey)];
  std::string log = sha256_digest("ok\n");
  std::size_t layer = manifest.find(",{\"digest\":\"" + log);
  manifest.erase(layer, manifest.find('}', layer) + 1 - layer);

  CacheStore machine_b(scratch / "b");
  CacheTransfer down = fetch_cache_entries({cache_ref()}, {kTestKey}, machine_b, registry.options());
  EXPECT_EQ(down.entries, 0u);
  EXPECT_EQ(down.warnings,
            std::vector<std::string>{"registry cache 127.0.0.1:5000/team/cache: entry " + cache_tag(kTestKey) +
                                     " not used: its entry text names the object " + log.substr(7) +
                                     ", which its manifest does not list"});
  EXPECT_FALSE(machine_b.contains(kTestKey));
}

TEST(RegistryCache, AManifestOfAnotherKeyIsNotUsed) {
  ScratchDir scratch;
  CacheStore machine_a(scratch / "a");
  store_two_entries(scratch, machine_a);
  MemoryRegistry registry;
  ASSERT_EQ(upload_cache_entries(cache_ref(), {kTestKey}, machine_a, registry.options()).entries, 1u);
  registry.manifests[cache_tag(kBuildKey)] = registry.manifests[cache_tag(kTestKey)];

  CacheStore machine_b(scratch / "b");
  CacheTransfer down = fetch_cache_entries({cache_ref()}, {kBuildKey}, machine_b, registry.options());
  EXPECT_EQ(down.entries, 0u);
  EXPECT_EQ(down.warnings,
            std::vector<std::string>{"registry cache 127.0.0.1:5000/team/cache: entry " + cache_tag(kBuildKey) +
                                     " not used: its manifest is not the entry of this key (annotation "
                                     "dev.xbuild.cache.key is \"" +
                                     kTestKey + "\")"});
}

TEST(RegistryCache, AnUnreachableCacheIsOneWarningAndTheNextRefIsAskedStill) {
  ScratchDir scratch;
  CacheStore machine_a(scratch / "a");
  store_two_entries(scratch, machine_a);
  MemoryRegistry good;
  ASSERT_EQ(upload_cache_entries(cache_ref(), {kBuildKey, kTestKey}, machine_a, good.options()).entries, 2u);
  MemoryRegistry down;
  down.down = true;

  // Two refs on two registries: the first refuses every connection.
  registry::RegistryOptions options = good.options();
  options.http_client = [&good, &down](uv_loop_t* loop) -> std::unique_ptr<registry::HttpClient> {
    return std::make_unique<FakeHttpClient>(loop, [&good, &down](const HttpRequest& request) {
      if (request.url.rfind("http://127.0.0.1:6000/", 0) == 0) return down.answer(request);
      return good.answer(request);
    });
  };
  CacheRef dead = parse_cache_ref("127.0.0.1:6000/team/cache", false).value();
  CacheStore machine_b(scratch / "b");
  CacheTransfer down_transfer = fetch_cache_entries({dead, cache_ref()}, {kBuildKey, kTestKey}, machine_b, options);
  EXPECT_EQ(down_transfer.entries, 2u);
  EXPECT_EQ(down_transfer.warnings,
            std::vector<std::string>{"registry cache 127.0.0.1:6000/team/cache: cannot get "
                                     "127.0.0.1:6000/team/cache:" +
                                     cache_tag(kBuildKey) + ": Connection refused (2 keys not looked up there)"});

  CacheTransfer up = upload_cache_entries(dead, {kBuildKey, kTestKey}, machine_a, down.options());
  EXPECT_EQ(up.entries, 0u);
  ASSERT_EQ(up.warnings.size(), 1u);
  EXPECT_EQ(
      up.warnings[0].rfind("registry cache 127.0.0.1:6000/team/cache: cannot check 127.0.0.1:6000/team/cache@", 0), 0u)
      << up.warnings[0];
  EXPECT_NE(up.warnings[0].find(": Connection refused (2 of 2 entries not uploaded)"), std::string::npos)
      << up.warnings[0];
}

TEST(RegistryCache, TheKeysOfARefFollowTheTagListsPagesAndSkipOtherTags) {
  ScratchDir scratch;
  CacheStore machine_a(scratch / "a");
  store_two_entries(scratch, machine_a);
  MemoryRegistry registry;
  ASSERT_EQ(upload_cache_entries(cache_ref(), {kBuildKey, kTestKey}, machine_a, registry.options()).entries, 2u);
  registry.extra_tags = {"latest", "xb-short", "xb-" + std::string(64, '3')};
  registry.log.clear();
  Result<std::vector<std::string>> keys = list_cache_keys(cache_ref(), registry.options());
  ASSERT_TRUE(keys.ok()) << keys.error();
  EXPECT_EQ(keys.value(), (std::vector<std::string>{kBuildKey, kTestKey, "sha256:" + std::string(64, '3')}));
  EXPECT_EQ(registry.log, (std::vector<std::string>{"GET tags/list", "GET tags/list?page=1", "GET tags/list?page=2"}));

  MemoryRegistry empty;
  Result<std::vector<std::string>> none = list_cache_keys(cache_ref(), empty.options());
  ASSERT_TRUE(none.ok()) << none.error();
  EXPECT_TRUE(none.value().empty());
}

}  // namespace
}  // namespace xb
