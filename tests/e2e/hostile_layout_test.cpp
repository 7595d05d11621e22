// Hostile OCI layouts, generated here, against every consumer of a layout or an image: an
// emulated target's `rootfs = "oci:DIR:TAG"` and `rootfs = "HOST/REPO:TAG"` (pulled from a real
// registry, then unpacked by the run), `[image] from = "oci:DIR:TAG"`, `[image] from` pulled from
// the registry, and `xbuild merge`. (Debian's sysroots and root filesystems are made by
// mmdebstrap from packages, not from OCI layers: their directories' modes are make_tree's unit
// tests'.) The corpus:
// path escapes ("../", absolute), a symlink then a write through it, a hard link to outside,
// a device node, whiteouts naming no entry (".wh...", "sub/.wh.."), a blob swapped for
// another's content of the same size, blobs shorter than declared, and declared sizes of 1 TB
// and -1. Each case must fail with a message naming the entry or the blob, and leave the
// canaries (a file outside, another unpacked root filesystem beside the target) as they were,
// content and modification time. Layers are plain tar files written by hand (ustar headers).
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdio>
#include <functional>
#include <nlohmann/json.hpp>

#include "e2e/e2e_support.h"
#include "support/registry_fixture.h"
#include "util/fs.h"
#include "util/sha256.h"
#include "util/strings.h"

namespace xb::testing {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

constexpr std::int64_t kTerabyte = 1000000000000;

// One tar entry: type '0' file, '1' hard link, '2' symlink, '3' character device, '5' directory.
struct Entry {
  std::string name;
  char type = '0';
  std::string content;  // a file's data, or the link's target
  unsigned mode = 0644;
};

// `value` in octal, zero-padded to fill `width` bytes but the last (left as NUL).
void put_octal(std::string& header, std::size_t offset, std::size_t width, std::uint64_t value) {
  char digits[32];
  std::snprintf(digits, sizeof digits, "%0*llo", static_cast<int>(width - 1), static_cast<unsigned long long>(value));
  header.replace(offset, width - 1, digits);
}

// A ustar archive of `entries`, ending with its two zero blocks.
std::string tar_of(const std::vector<Entry>& entries) {
  std::string out;
  for (const Entry& entry : entries) {
    std::string header(512, '\0');
    header.replace(0, entry.name.size(), entry.name);
    put_octal(header, 100, 8, entry.mode);
    put_octal(header, 108, 8, 0);
    put_octal(header, 116, 8, 0);
    put_octal(header, 124, 12, entry.type == '0' ? entry.content.size() : 0);
    put_octal(header, 136, 12, 1700000000);
    header[156] = entry.type;
    if (entry.type == '1' || entry.type == '2') header.replace(157, entry.content.size(), entry.content);
    header.replace(257, 6, std::string("ustar\0", 6));
    header.replace(263, 2, "00");
    if (entry.type == '3') {
      put_octal(header, 329, 8, 1);
      put_octal(header, 337, 8, 3);
    }
    header.replace(148, 8, std::string(8, ' '));
    unsigned sum = 0;
    for (unsigned char c : header) sum += c;
    put_octal(header, 148, 7, sum);
    header[154] = '\0';
    out += header;
    if (entry.type == '0') {
      out += entry.content;
      out += std::string((512 - entry.content.size() % 512) % 512, '\0');
    }
  }
  return out + std::string(1024, '\0');
}

// A layer as its manifest describes it, and the bytes the layout stores under that digest.
struct Layer {
  std::string bytes;
  std::string digest;  // declared
  json size;           // declared
};

Layer honest(const std::string& bytes) { return {bytes, sha256_digest(bytes), bytes.size()}; }

std::string put_blob(const fs::path& layout, const std::string& content) {
  std::string digest = sha256_digest(content);
  EXPECT_TRUE(write_file_atomic(layout / "blobs/sha256" / digest.substr(7), content).ok());
  return digest;
}

// An OCI layout holding one image for `architecture` (linux), tagged "1".
void write_layout(const fs::path& layout, const std::string& architecture, const std::vector<Layer>& layers) {
  fs::remove_all(layout);
  fs::create_directories(layout / "blobs/sha256");
  ASSERT_TRUE(write_file_atomic(layout / "oci-layout", R"({"imageLayoutVersion":"1.0.0"})").ok());
  json config = {{"architecture", architecture},
                 {"os", "linux"},
                 {"config", json::object()},
                 {"rootfs", {{"type", "layers"}, {"diff_ids", json::array()}}}};
  json manifest = {{"schemaVersion", 2}, {"mediaType", "application/vnd.oci.image.manifest.v1+json"}};
  json descriptors = json::array();
  for (const Layer& layer : layers) {
    ASSERT_TRUE(write_file_atomic(layout / "blobs/sha256" / layer.digest.substr(7), layer.bytes).ok());
    descriptors.push_back(
        {{"mediaType", "application/vnd.oci.image.layer.v1.tar"}, {"digest", layer.digest}, {"size", layer.size}});
    config["rootfs"]["diff_ids"].push_back(layer.digest);
  }
  std::string config_text = config.dump();
  manifest["config"] = {{"mediaType", "application/vnd.oci.image.config.v1+json"},
                        {"digest", put_blob(layout, config_text)},
                        {"size", config_text.size()}};
  manifest["layers"] = descriptors;
  std::string manifest_text = manifest.dump();
  json index = {{"schemaVersion", 2},
                {"manifests",
                 {{{"mediaType", "application/vnd.oci.image.manifest.v1+json"},
                   {"digest", put_blob(layout, manifest_text)},
                   {"size", manifest_text.size()},
                   {"platform", {{"os", "linux"}, {"architecture", architecture}}},
                   {"annotations", {{"org.opencontainers.image.ref.name", "1"}}}}}}};
  ASSERT_TRUE(write_file_atomic(layout / "index.json", index.dump()).ok());
}

// Every file under the canary directories with its content and modification time.
std::string canaries(const std::vector<fs::path>& dirs) {
  std::string state;
  for (const fs::path& dir : dirs) {
    std::error_code ec;
    for (fs::recursive_directory_iterator it(dir, ec); !ec && it != fs::recursive_directory_iterator();
         it.increment(ec)) {
      struct stat info {};
      ::lstat(it->path().c_str(), &info);
      state += it->path().string() + " " + std::to_string(info.st_mtim.tv_sec) + "." +
               std::to_string(info.st_mtim.tv_nsec) + " " +
               (it->is_regular_file() ? read_file(it->path()).value() : std::string("-")) + "\n";
    }
  }
  return state;
}

// The entry cases: each one layer (above a good base), and what the error says of it.
struct EntryCase {
  std::string name;
  std::vector<Entry> entries;
  std::string says;
};

std::vector<EntryCase> entry_cases(const fs::path& outside) {
  return {
      {"dot-dot", {{"../../outside/evil", '0', "x"}}, "entry \"../../outside/evil\" climbs out of the root filesystem"},
      {"absolute",
       {{outside.string() + "/evil", '0', "x"}},
       "entry \"" + outside.string() + "/evil\" has an absolute path"},
      {"symlink-then-write",
       {{"escape", '2', outside.string(), 0777}, {"escape/evil", '0', "x"}},
       "entry \"escape/evil\" would be written through the symlink \"escape\""},
      {"hard-link-out",
       {{"passwd", '1', "../../outside/keep"}},
       "hard link \"passwd\" points outside the root filesystem"},
      {"device", {{"dev/", '5', "", 0755}, {"dev/null", '3', ""}}, "entry \"dev/null\" is a device node"},
      {"whiteout-dot-dot", {{".wh...", '0', ""}}, "entry \".wh...\" is a whiteout of \"..\""},
      {"whiteout-dot", {{"etc/.wh..", '0', ""}}, "entry \"etc/.wh..\" is a whiteout of \".\""},
      {"whiteout-through-symlink",
       {{"escape", '2', outside.string(), 0777}, {"escape/.wh.keep", '0', ""}},
       "entry \"escape/.wh.keep\" would be written through the symlink \"escape\""},
  };
}

// A lower layer every case sits on: what a whiteout could remove.
std::string base_layer() {
  return tar_of({{"bin/", '5', "", 0755},
                 {"bin/sh", '0', "#!/bin/true\n", 0755},
                 {"etc/", '5', "", 0755},
                 {"etc/passwd", '0', "root:x:0:0::/root:/bin/sh\n"}});
}

class HostileLayout : public ::testing::Test {
 protected:
  void SetUp() override {
    scratch_.write("outside/keep", "mine");
    scratch_.write("project/.xbuild/rootfs/other-root/etc/passwd", "root:x:0:0");
  }
  std::string canary_state() {
    return canaries({scratch_ / "outside", scratch_ / "project/.xbuild/rootfs/other-root"});
  }
  fs::path project() const { return scratch_ / "project"; }

  ScratchDir scratch_;
};

// rootfs = "oci:DIR:1" of an emulated linux/arm64 target, through the real binary: the run
// registers QEMU's binfmt_misc handler (removed after when it was not there), then unpacks.
TEST_F(HostileLayout, EmulatedRootfs) {
  XB_REQUIRE_ROOT("for the emulate strategy");
  XB_REQUIRE_TOOLS("qemu-aarch64-static");
  const fs::path handler = "/proc/sys/fs/binfmt_misc/xbuild-qemu-aarch64";
  struct HandlerGuard {
    bool registered_here;
    ~HandlerGuard() {
      if (registered_here && fs::exists("/proc/sys/fs/binfmt_misc/xbuild-qemu-aarch64"))
        (void)xbuild({"binfmt", "uninstall", "--arch", "aarch64"});
    }
  } guard{!fs::exists(handler)};
  const fs::path layout = scratch_ / "layout";
  auto run_with = [&](const std::vector<Layer>& layers) {
    write_layout(layout, "arm64", layers);
    scratch_.write("project/xbuild.toml",
                   "[project]\nname = \"hostile\"\n\n[targets]\nplatforms = [\"linux/arm64\"]\n\n"
                   "[stage.build]\nrun = \"true\"\n\n[platform.\"linux/arm64\"]\n"
                   "strategy = \"emulate\"\nrootfs = \"oci:" +
                       layout.string() + ":1\"\n");
    return xbuild({"run", "--no-cache", "xbuild.toml"}, project());
  };
  // No unpacked root of the image is left, only the canary root beside it; the directory is 0700.
  auto expect_nothing_unpacked = [&](const std::string& what) {
    std::vector<std::string> roots;
    for (const fs::directory_entry& entry : fs::directory_iterator(project() / ".xbuild/rootfs"))
      roots.push_back(entry.path().filename().string());
    EXPECT_EQ(roots, std::vector<std::string>{"other-root"}) << what;
    EXPECT_EQ(fs::status(project() / ".xbuild/rootfs").permissions() & fs::perms::all, fs::perms::owner_all) << what;
  };
  const std::string before = canary_state();
  const Layer base = honest(base_layer());

  for (const EntryCase& hostile : entry_cases(scratch_ / "outside")) {
    const Layer top = honest(tar_of(hostile.entries));
    CommandResult ran = run_with({base, top});
    EXPECT_EQ(ran.exit_code, 1) << hostile.name << "\n" << ran.err;
    EXPECT_NE(ran.err.find("xbuild: error: cannot unpack the root filesystem of linux/arm64: layer " +
                           (layout / "blobs/sha256" / top.digest.substr(7)).string() + " (" + top.digest +
                           "): " + hostile.says),
              std::string::npos)
        << hostile.name << "\n"
        << ran.err;
    EXPECT_EQ(canary_state(), before) << hostile.name;
    expect_nothing_unpacked(hostile.name);
  }

  // Another tar of the same size stored under the good one's digest: found as it unpacks.
  const std::string good = tar_of({{"bin/", '5', "", 0755}, {"bin/sh", '0', "good", 0755}});
  const std::string swapped = tar_of({{"bin/", '5', "", 0755}, {"bin/sh", '0', "evil", 04755}});
  ASSERT_EQ(good.size(), swapped.size());
  Layer swap{swapped, sha256_digest(good), good.size()};
  CommandResult ran = run_with({swap});
  EXPECT_EQ(ran.exit_code, 1) << ran.err;
  EXPECT_NE(ran.err.find("layer " + (layout / "blobs/sha256" / swap.digest.substr(7)).string() + " (" + swap.digest +
                         "): its content is " + sha256_digest(swapped) +
                         ", not the digest its descriptor names; refusing the layer"),
            std::string::npos)
      << ran.err;
  expect_nothing_unpacked("swapped");

  // Sizes that are not the file's, or no size at all: refused before the run does anything.
  for (const json& size : {json(good.size() - 512), json(good.size() + 1), json(kTerabyte), json(-1)}) {
    Layer mis_sized{good, sha256_digest(good), size};
    ran = run_with({mis_sized});
    EXPECT_EQ(ran.exit_code, 2) << size << "\n" << ran.err;
    const std::string blob = (layout / "blobs/sha256" / mis_sized.digest.substr(7)).string();
    const std::string expected =
        size.get<std::int64_t>() > 0 && size.get<std::int64_t>() < kTerabyte
            ? "the blob " + blob + " holds " + std::to_string(good.size()) + " bytes, but its descriptor (" +
                  mis_sized.digest + ") declares " + size.dump()
            : "the descriptor of " + mis_sized.digest + " declares a size of " + size.dump() + " bytes";
    EXPECT_NE(ran.err.find(expected), std::string::npos) << size << "\n" << ran.err;
    expect_nothing_unpacked(size.dump());
  }
  EXPECT_EQ(canary_state(), before);
}

// Pushes a layout's image to the registry with the distribution API (python3's urllib), the
// manifest as written (whatever sizes it declares).
CommandResult push_raw(const fs::path& layout, const std::string& target);

// rootfs = "HOST/REPO:1" of an emulated target: pulled into the cache, then unpacked by the same
// checks as an oci: layout.
TEST_F(HostileLayout, PulledEmulatedRootfs) {
  XB_REQUIRE_ROOT("for the emulate strategy");
  XB_REQUIRE_TOOLS("qemu-aarch64-static", "docker-registry", "python3");
  struct HandlerGuard {
    bool registered_here = !fs::exists("/proc/sys/fs/binfmt_misc/xbuild-qemu-aarch64");
    ~HandlerGuard() {
      if (registered_here && fs::exists("/proc/sys/fs/binfmt_misc/xbuild-qemu-aarch64"))
        (void)xbuild({"binfmt", "uninstall", "--arch", "aarch64"});
    }
  } guard;
  LocalRegistry registry(scratch_ / "registry");
  ASSERT_TRUE(registry.ok()) << registry.error();
  const std::string before = canary_state();
  const Layer base = honest(base_layer());
  int number = 0;
  for (const EntryCase& hostile : entry_cases(scratch_ / "outside")) {
    const std::string repository = "rootfs" + std::to_string(++number);
    const Layer top = honest(tar_of(hostile.entries));
    write_layout(scratch_ / "layout", "arm64", {base, top});
    CommandResult pushed = push_raw(scratch_ / "layout", registry.host() + "/" + repository);
    ASSERT_EQ(pushed.exit_code, 0) << pushed.err;
    scratch_.write("project/xbuild.toml",
                   "[project]\nname = \"hostile\"\n\n[targets]\nplatforms = [\"linux/arm64\"]\n\n"
                   "[stage.build]\nrun = \"true\"\n\n[platform.\"linux/arm64\"]\n"
                   "strategy = \"emulate\"\nrootfs = \"" +
                       registry.host() + "/" + repository + ":1\"\n");
    CommandResult ran =
        xbuild({"run", "--no-cache", "xbuild.toml"}, project(), {{"XBUILD_CACHE_DIR", (scratch_ / "cache").string()}});
    EXPECT_EQ(ran.exit_code, 1) << hostile.name << "\n" << ran.err;
    EXPECT_NE(ran.err.find("xbuild: error: cannot unpack the root filesystem of linux/arm64: layer "),
              std::string::npos)
        << ran.err;
    EXPECT_NE(ran.err.find(" (" + top.digest + "): " + hostile.says), std::string::npos) << hostile.name << "\n"
                                                                                         << ran.err;
    EXPECT_EQ(canary_state(), before) << hostile.name;
    std::vector<std::string> roots;
    for (const fs::directory_entry& entry : fs::directory_iterator(project() / ".xbuild/rootfs"))
      roots.push_back(entry.path().filename().string());
    EXPECT_EQ(roots, std::vector<std::string>{"other-root"}) << hostile.name;
  }
}

// The project of the [image] from and pull cases: one native stage.
void native_project(const ScratchDir& scratch, const std::string& from) {
  scratch.write("project/xbuild.toml",
                "[project]\nname = \"hostile\"\n\n[targets]\nplatforms = [\"linux/amd64\"]\n\n"
                "[stage.build]\nrun = \"echo built > $XBUILD_OUT/built\"\n\n[image]\nfrom = \"" +
                    from + "\"\n");
}

// [image] from = "oci:DIR:1": the base's layers are checked against their descriptors (size,
// then digest) before anything is built, and nothing is written to the output.
TEST_F(HostileLayout, LayoutBaseImage) {
  XB_REQUIRE_TOOLS("x86_64-linux-gnu-gcc");
  const fs::path layout = scratch_ / "layout";
  native_project(scratch_, "oci:" + layout.string() + ":1");
  const std::string good = tar_of({{"etc/", '5', "", 0755}, {"etc/os-release", '0', "ID=good\n"}});
  const std::string other = tar_of({{"etc/", '5', "", 0755}, {"etc/os-release", '0', "ID=evil\n"}});
  ASSERT_EQ(good.size(), other.size());
  const std::string digest = sha256_digest(good);
  const std::string blob = (layout / "blobs/sha256" / digest.substr(7)).string();
  struct Case {
    Layer layer;
    std::string says;
  };
  const std::vector<Case> cases = {
      {{other, digest, good.size()}, "the blob " + blob + " does not match its digest " + digest},
      {{good, digest, good.size() + 512},
       "the blob " + blob + " holds " + std::to_string(good.size()) + " bytes, but its descriptor (" + digest +
           ") declares " + std::to_string(good.size() + 512)},
      {{good, digest, kTerabyte}, "the descriptor of " + digest + " declares a size of 1000000000000 bytes"},
      {{good, digest, -1}, "the descriptor of " + digest + " declares a size of -1 bytes"},
  };
  const std::string before = canary_state();
  for (const Case& hostile : cases) {
    write_layout(layout, "amd64", {hostile.layer});
    CommandResult ran =
        xbuild({"run", "--no-cache", "xbuild.toml", "-o", "oci:" + (scratch_ / "out").string()}, project());
    EXPECT_EQ(ran.exit_code, 2) << hostile.says << "\n" << ran.err;
    EXPECT_NE(ran.err.find("xbuild: error: cannot use the base image oci:" + layout.string() + ":1"), std::string::npos)
        << ran.err;
    EXPECT_NE(ran.err.find(hostile.says), std::string::npos) << ran.err;
    EXPECT_FALSE(fs::exists(scratch_ / "out")) << hostile.says;
    EXPECT_FALSE(fs::exists(project() / ".xbuild/out/linux-amd64/built")) << hostile.says;
    EXPECT_EQ(canary_state(), before);
  }
}

// Pushes a layout's image to the registry with the distribution API (python3's urllib), the
// manifest as written (whatever sizes it declares).
CommandResult push_raw(const fs::path& layout, const std::string& target) {
  static const char* const kPush = R"py(
import hashlib, json, os, sys, urllib.request
layout, host, repo = sys.argv[1], sys.argv[2], sys.argv[3]
def blob(digest): return open(os.path.join(layout, "blobs/sha256", digest[7:]), "rb").read()
index = json.load(open(os.path.join(layout, "index.json")))
mdigest = index["manifests"][0]["digest"]
manifest = json.loads(blob(mdigest))
for d in [manifest["config"]] + manifest["layers"]:
    data = blob(d["digest"])
    real = "sha256:" + hashlib.sha256(data).hexdigest()
    start = urllib.request.urlopen(urllib.request.Request(f"http://{host}/v2/{repo}/blobs/uploads/", method="POST"))
    location = start.headers["Location"]
    location = location if location.startswith("http") else f"http://{host}{location}"
    sep = "&" if "?" in location else "?"
    urllib.request.urlopen(urllib.request.Request(f"{location}{sep}digest={real}", data=data, method="PUT",
                           headers={"Content-Type": "application/octet-stream"}))
urllib.request.urlopen(urllib.request.Request(f"http://{host}/v2/{repo}/manifests/1", data=blob(mdigest), method="PUT",
                       headers={"Content-Type": "application/vnd.oci.image.manifest.v1+json"}))
)py";
  std::vector<std::string> parts = split(target, '/');
  return run({"python3", "-c", kPush, layout.string(), parts[0], parts[1]});
}

// [image] from a registry: the pull stops a blob at its declared size and checks its digest as it
// lands; a blob the registry's storage swapped under its digest, or a manifest declaring another
// size, fails naming the blob, and nothing is built.
TEST_F(HostileLayout, PulledBaseImage) {
  XB_REQUIRE_TOOLS("docker-registry", "python3", "x86_64-linux-gnu-gcc");
  LocalRegistry registry(scratch_ / "registry");
  ASSERT_TRUE(registry.ok()) << registry.error();
  const std::string good = tar_of({{"etc/", '5', "", 0755}, {"etc/os-release", '0', "ID=good\n"}});
  const std::string other = tar_of({{"etc/", '5', "", 0755}, {"etc/os-release", '0', "ID=evil\n"}});
  const std::string digest = sha256_digest(good);
  const std::string before = canary_state();
  auto run_from = [&](const std::string& repository) {
    native_project(scratch_, registry.host() + "/" + repository + ":1");
    return xbuild({"run", "--no-cache", "xbuild.toml", "-o", "oci:" + (scratch_ / "out").string()}, project());
  };

  // Swapped in the registry's own storage, after the push: same size, other content.
  write_layout(scratch_ / "layout", "amd64", {honest(good)});
  ASSERT_EQ(push_raw(scratch_ / "layout", registry.host() + "/swapped").exit_code, 0);
  fs::path stored =
      scratch_ / "registry/storage/docker/registry/v2/blobs/sha256" / digest.substr(7, 2) / digest.substr(7) / "data";
  ASSERT_TRUE(fs::is_regular_file(stored));
  ASSERT_TRUE(write_file_atomic(stored, other).ok());
  CommandResult ran = run_from("swapped");
  EXPECT_EQ(ran.exit_code, 1) << ran.err;
  EXPECT_NE(ran.err.find("xbuild: error: cannot pull the base image: cannot get " + registry.host() + "/swapped@" +
                         digest + ": the downloaded content does not match its digest and size (" +
                         std::to_string(good.size()) + " bytes)"),
            std::string::npos)
      << ran.err;

  // Declared sizes the blob does not have.
  for (const json& size : {json(good.size() - 512), json(kTerabyte), json(-1)}) {
    const std::string repository =
        "sized" + std::to_string(size.get<std::int64_t>() < 0 ? 0 : size.get<std::int64_t>());
    write_layout(scratch_ / "layout", "amd64", {{good, digest, size}});
    CommandResult pushed = push_raw(scratch_ / "layout", registry.host() + "/" + repository);
    ASSERT_EQ(pushed.exit_code, 0) << pushed.err;
    ran = run_from(repository);
    EXPECT_NE(ran.exit_code, 0) << size;
    const std::string says = size.get<std::int64_t>() > 0 && size.get<std::int64_t>() < kTerabyte
                                 ? "cannot get " + registry.host() + "/" + repository + "@" + digest +
                                       ": the answer is longer than the " + size.dump() +
                                       " bytes its descriptor declares"
                                 : registry.host() + "/" + repository + ":1: the descriptor of " + digest +
                                       " declares a size of " + size.dump() + " bytes";
    EXPECT_NE(ran.err.find(says), std::string::npos) << ran.err;
  }
  EXPECT_FALSE(fs::exists(scratch_ / "out"));
  EXPECT_FALSE(fs::exists(project() / ".xbuild/out/linux-amd64/built"));
  EXPECT_EQ(canary_state(), before);
}

// Rewrites the first image manifest of an xbuild run's layout with `edit`, then the image
// index and index.json above it, so every digest on the way down is right again.
void edit_manifest(const fs::path& layout, const std::function<void(json&)>& edit) {
  auto blob = [&](const std::string& digest) { return read_file(layout / "blobs/sha256" / digest.substr(7)).value(); };
  json top = json::parse(read_file(layout / "index.json").value());
  json index = json::parse(blob(top["manifests"][0]["digest"]));
  json manifest = json::parse(blob(index["manifests"][0]["digest"]));
  edit(manifest);
  std::string manifest_text = manifest.dump();
  index["manifests"][0]["digest"] = put_blob(layout, manifest_text);
  index["manifests"][0]["size"] = manifest_text.size();
  std::string index_text = index.dump();
  top["manifests"][0]["digest"] = put_blob(layout, index_text);
  top["manifests"][0]["size"] = index_text.size();
  ASSERT_TRUE(write_file_atomic(layout / "index.json", top.dump()).ok());
}

// xbuild merge of a shard whose layer descriptors lie: each refused naming the blob or the
// descriptor, and the output never made.
TEST_F(HostileLayout, Merge) {
  XB_REQUIRE_TOOLS("x86_64-linux-gnu-gcc");
  native_project(scratch_, "scratch");
  const fs::path shard = scratch_ / "shard";
  CommandResult built = xbuild({"run", "--no-cache", "--shard", "1/1", "-o", "oci:" + shard.string()}, project());
  ASSERT_EQ(built.exit_code, 0) << built.err;
  json top = json::parse(read_file(shard / "index.json").value());
  json index = json::parse(
      read_file(shard / "blobs/sha256" / top["manifests"][0]["digest"].get<std::string>().substr(7)).value());
  json manifest = json::parse(
      read_file(shard / "blobs/sha256" / index["manifests"][0]["digest"].get<std::string>().substr(7)).value());
  const std::string layer = manifest["layers"][0]["digest"];
  const std::int64_t size = manifest["layers"][0]["size"];
  const fs::path layer_file = shard / "blobs/sha256" / layer.substr(7);
  const std::string layer_bytes = read_file(layer_file).value();
  const fs::path copy = scratch_ / "copy";
  const fs::path out = scratch_ / "merged";
  auto merge_copy = [&](const std::function<void(const fs::path&)>& spoil) {
    fs::remove_all(copy);
    fs::copy(shard, copy, fs::copy_options::recursive);
    spoil(copy);
    return xbuild({"merge", copy.string(), "-o", "oci:" + out.string()});
  };
  const std::string before = canary_state();
  const std::string copied_layer = (copy / "blobs/sha256" / layer.substr(7)).string();

  CommandResult ran = merge_copy([&](const fs::path& at) {
    std::string swapped = layer_bytes;
    swapped[swapped.size() / 2] ^= 0x55;
    fs::remove(at / "blobs/sha256" / layer.substr(7));
    ASSERT_TRUE(write_file_atomic(at / "blobs/sha256" / layer.substr(7), swapped).ok());
  });
  EXPECT_NE(ran.exit_code, 0);
  EXPECT_NE(ran.err.find("the blob " + copied_layer + " does not match its digest " + layer), std::string::npos)
      << ran.err;
  EXPECT_FALSE(fs::exists(out));

  for (const json& declared : {json(size + 1), json(kTerabyte), json(-1)}) {
    ran = merge_copy([&](const fs::path& at) {
      edit_manifest(at, [&](json& document) { document["layers"][0]["size"] = declared; });
    });
    EXPECT_NE(ran.exit_code, 0) << declared;
    const std::string says = declared.get<std::int64_t>() == size + 1
                                 ? "the blob " + copied_layer + " holds " + std::to_string(size) +
                                       " bytes, but its descriptor (" + layer + ") declares " + declared.dump()
                                 : "the descriptor of " + layer + " declares a size of " + declared.dump() + " bytes";
    EXPECT_NE(ran.err.find(says), std::string::npos) << ran.err;
    EXPECT_FALSE(fs::exists(out)) << declared;
  }
  EXPECT_EQ(canary_state(), before);
}

}  // namespace
}  // namespace xb::testing
