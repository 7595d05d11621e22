// Tests for debian/archive: Debian architectures of platforms, default suites, the host's
// suite from os-release files, the mirror from scratch apt directories (one-line and deb822
// sources, apt's reading order, entries that are not a Debian archive), and a suite's release
// digest against a fake HTTP client.
#include "debian/archive.h"

#include <gtest/gtest.h>

#include "support/fake_http_client.h"
#include "support/scratch_dir.h"
#include "util/sha256.h"

namespace xb::debian {
namespace {

using testing::CannedResponse;
using testing::FakeHttpClient;
using testing::ScratchDir;

Platform platform(const std::string& specifier) { return parse_platform(specifier).value(); }

TEST(DebianArchitecture, NamesEveryPortXbuildTargets) {
  EXPECT_EQ(debian_architecture(platform("linux/amd64")), "amd64");
  EXPECT_EQ(debian_architecture(platform("linux/arm64")), "arm64");
  EXPECT_EQ(debian_architecture(Platform{"linux", "arm64", "v8", ""}), "arm64");
  EXPECT_EQ(debian_architecture(platform("linux/arm/v7")), "armhf");
  EXPECT_EQ(debian_architecture(platform("linux/arm/v6")), "armel");
  EXPECT_EQ(debian_architecture(platform("linux/386")), "i386");
  EXPECT_EQ(debian_architecture(platform("linux/riscv64")), "riscv64");
  EXPECT_EQ(debian_architecture(platform("linux/ppc64le")), "ppc64el");
  EXPECT_EQ(debian_architecture(platform("linux/s390x")), "s390x");
  EXPECT_EQ(debian_architecture(platform("linux/mips64le")), "mips64el");
}

TEST(DebianArchitecture, NoneForPlatformsDebianHasNoPortFor) {
  EXPECT_EQ(debian_architecture(platform("linux/arm/v5")), std::nullopt);
  EXPECT_EQ(debian_architecture(platform("linux/loong64")), std::nullopt);
  EXPECT_EQ(debian_architecture(platform("windows/amd64")), std::nullopt);
  EXPECT_EQ(debian_architecture(Platform{"none", "arm", "", ""}), std::nullopt);
}

TEST(DefaultSuite, TheHostsSuiteExceptRiscv64BeforeTrixie) {
  EXPECT_EQ(default_suite(platform("linux/arm64"), "bookworm"), "bookworm");
  EXPECT_EQ(default_suite(platform("linux/riscv64"), "bookworm"), "trixie");
  EXPECT_EQ(default_suite(platform("linux/riscv64"), "bullseye"), "trixie");
  EXPECT_EQ(default_suite(platform("linux/riscv64"), "trixie"), "trixie");
  EXPECT_EQ(default_suite(platform("linux/riscv64"), "forky"), "forky");
  EXPECT_EQ(default_suite(platform("linux/arm/v7"), "trixie"), "trixie");
}

TEST(HostSuite, VersionCodenameOfDebian) {
  ScratchDir scratch;
  EXPECT_EQ(host_suite(scratch.write("debian",
                                     "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\n"
                                     "VERSION_CODENAME=bookworm\n")),
            "bookworm");
  EXPECT_EQ(host_suite(scratch.write("quoted", "ID=\"debian\"\nVERSION_CODENAME=\"trixie\"\n")), "trixie");
}

TEST(HostSuite, BookwormWhenTheFileSaysNothingUseful) {
  ScratchDir scratch;
  EXPECT_EQ(host_suite(scratch / "missing"), "bookworm");
  EXPECT_EQ(host_suite(scratch.write("ubuntu", "ID=ubuntu\nID_LIKE=debian\nVERSION_CODENAME=jammy\n")), "bookworm");
  EXPECT_EQ(host_suite(scratch.write("sid", "ID=debian\nPRETTY_NAME=\"Debian GNU/Linux trixie/sid\"\n")), "bookworm");
}

// This machine's kind of sources: deb822, the archive first, then its security suite.
constexpr const char* kDebianSources =
    "Types: deb\n"
    "# http://snapshot.debian.org/archive/debian/20250520T000000Z\n"
    "URIs: http://deb.debian.org/debian\n"
    "Suites: bookworm bookworm-updates\n"
    "Components: main\n"
    "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n"
    "\n"
    "Types: deb\n"
    "URIs: http://deb.debian.org/debian-security\n"
    "Suites: bookworm-security\n"
    "Components: main\n";

TEST(DefaultMirror, TheArchiveOfDeb822Sources) {
  ScratchDir scratch;
  scratch.write("apt/sources.list.d/debian.sources", kDebianSources);
  EXPECT_EQ(default_mirror(scratch / "apt"), "http://deb.debian.org/debian");
}

TEST(DefaultMirror, DebianOrgWhenNoSourceIsTheArchive) {
  ScratchDir scratch;
  EXPECT_EQ(default_mirror(scratch / "nothing"), "http://deb.debian.org/debian");
  scratch.write("apt/sources.list", "# deb http://ftp.de.debian.org/debian bookworm main\n");
  scratch.write("apt/sources.list.d/src.sources",
                "Types: deb-src\nURIs: http://ftp.fr.debian.org/debian\nSuites: bookworm\nComponents: main\n");
  scratch.write("apt/sources.list.d/off.sources",
                "Enabled: no\nTypes: deb\nURIs: http://ftp.nl.debian.org/debian\nSuites: bookworm\nComponents: main\n");
  scratch.write("apt/sources.list.d/x.list.disabled", "deb http://ftp.at.debian.org/debian bookworm main\n");
  EXPECT_EQ(default_mirror(scratch / "apt"), "http://deb.debian.org/debian");
}

TEST(DefaultMirror, SourcesListComesFirstThenThePartsInNameOrder) {
  ScratchDir scratch;
  scratch.write("apt/sources.list.d/a.list", "deb http://ftp.fr.debian.org/debian/ bookworm main\n");
  scratch.write("apt/sources.list.d/b.sources",
                "Types: deb\nURIs: http://ftp.nl.debian.org/debian\nSuites: bookworm\nComponents: main\n");
  EXPECT_EQ(default_mirror(scratch / "apt"), "http://ftp.fr.debian.org/debian") << "a.list before b.sources";
  scratch.write("apt/sources.list",
                "deb [arch=amd64 signed-by=/k.gpg] https://ftp.de.debian.org/debian bookworm main\n");
  EXPECT_EQ(default_mirror(scratch / "apt"), "https://ftp.de.debian.org/debian");
}

TEST(DefaultMirror, SkipsWhatIsNotTheDebianArchive) {
  ScratchDir scratch;
  scratch.write("apt/sources.list",
                "deb http://security.debian.org/debian-security bookworm-security main\n"
                "deb [arch=amd64 signed-by=/etc/apt/keyrings/docker.asc] https://download.docker.com/linux/debian "
                "bookworm stable\n"
                "deb http://deb.debian.org/debian bookworm-backports main\n"
                "deb https://deb.nodesource.com/node_20.x nodistro main\n"
                "deb http://snapshot.debian.org/archive/debian/20250520T000000Z bookworm main\n"
                "deb file:/srv/debian bookworm main\n"
                "deb http://mirror.example.org/debian bookworm main contrib\n");
  EXPECT_EQ(default_mirror(scratch / "apt"), "http://mirror.example.org/debian");
}

TEST(DefaultMirror, Deb822ContinuationLinesAndFieldNamesInAnyCase) {
  ScratchDir scratch;
  scratch.write("apt/sources.list.d/debian.sources",
                "types: deb deb-src\n"
                "uris:\n"
                " http://ftp.se.debian.org/debian/\n"
                " http://deb.debian.org/debian\n"
                "suites: trixie trixie-updates\n"
                "COMPONENTS: main non-free-firmware\n");
  EXPECT_EQ(default_mirror(scratch / "apt"), "http://ftp.se.debian.org/debian");
}

TEST(CheckSuiteName, LowercaseNamesOnly) {
  EXPECT_TRUE(check_suite_name("bookworm").ok());
  EXPECT_TRUE(check_suite_name("bookworm-backports").ok());
  Status bad = check_suite_name("Bookworm");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error(),
            "\"Bookworm\" is not a Debian suite: write a codename or an alias in lowercase (bookworm, trixie, sid, "
            "stable)");
  EXPECT_FALSE(check_suite_name("").ok());
  EXPECT_FALSE(check_suite_name("../etc").ok());
}

constexpr const char* kMirror = "http://mirror.example/debian";
constexpr const char* kInRelease =
    "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA512\n\nOrigin: Debian\nSuite: stable\n";

registry::HttpGetOptions answering(CannedResponse answer, std::vector<std::string>* urls) {
  registry::HttpGetOptions options;
  options.http_client = [answer, urls](uv_loop_t* loop) -> std::unique_ptr<registry::HttpClient> {
    return std::make_unique<FakeHttpClient>(loop, [answer, urls](const registry::HttpRequest& request) {
      urls->push_back(request.url);
      return FakeHttpClient::response(answer);
    });
  };
  return options;
}

TEST(ReleaseDigest, TheSha256OfTheSuitesInRelease) {
  std::vector<std::string> urls;
  bool unreachable = true;
  Result<std::string> digest =
      release_digest(kMirror, "bookworm", answering({200, {}, kInRelease}, &urls), &unreachable);
  ASSERT_TRUE(digest.ok()) << digest.error();
  EXPECT_EQ(digest.value(), sha256_digest(kInRelease));
  EXPECT_FALSE(unreachable);
  EXPECT_EQ(urls, std::vector<std::string>{"http://mirror.example/debian/dists/bookworm/InRelease"});
}

TEST(ReleaseDigest, ASuiteTheMirrorDoesNotHave) {
  std::vector<std::string> urls;
  bool unreachable = true;
  Result<std::string> digest =
      release_digest(kMirror, "bookwrom", answering({404, {}, "Not Found"}, &urls), &unreachable);
  ASSERT_FALSE(digest.ok());
  EXPECT_EQ(digest.error(),
            "the Debian mirror http://mirror.example/debian has no suite \"bookwrom\" "
            "(http://mirror.example/debian/dists/bookwrom/InRelease: HTTP 404): check the suite's name (bookworm, "
            "trixie, sid, ...)");
  EXPECT_FALSE(unreachable) << "an older tree must not stand in for a suite that does not exist";
}

TEST(ReleaseDigest, AMirrorThatCannotBeReached) {
  std::vector<std::string> urls;
  bool unreachable = false;
  Result<std::string> digest = release_digest(
      kMirror, "bookworm", answering({0, {}, "", "Could not resolve host: mirror.example"}, &urls), &unreachable);
  ASSERT_FALSE(digest.ok());
  EXPECT_EQ(digest.error(),
            "cannot reach the Debian mirror http://mirror.example/debian: Could not resolve host: "
            "mirror.example");
  EXPECT_TRUE(unreachable);
}

TEST(ReleaseDigest, ServerErrorsAndPagesThatAreNotReleaseFilesCountAsUnreachable) {
  std::vector<std::string> urls;
  bool unreachable = false;
  Result<std::string> broken = release_digest(kMirror, "bookworm", answering({502, {}, ""}, &urls), &unreachable);
  ASSERT_FALSE(broken.ok());
  EXPECT_EQ(broken.error(),
            "cannot reach the Debian mirror http://mirror.example/debian: "
            "http://mirror.example/debian/dists/bookworm/InRelease: HTTP 502");
  EXPECT_TRUE(unreachable);
  EXPECT_EQ(urls.size(), 3u) << "5xx answers are tried again first";

  unreachable = false;
  Result<std::string> portal =
      release_digest(kMirror, "bookworm", answering({200, {}, "<html>Log in</html>"}, &urls), &unreachable);
  ASSERT_FALSE(portal.ok());
  EXPECT_EQ(portal.error(),
            "cannot reach the Debian mirror http://mirror.example/debian: "
            "http://mirror.example/debian/dists/bookworm/InRelease is not a signed Debian release "
            "file (a proxy's or a captive portal's page?)");
  EXPECT_TRUE(unreachable);
}

TEST(ReleaseDigest, AMirrorsPasswordIsNeverShown) {
  std::vector<std::string> urls;
  const std::string mirror = "http://apt:Pw-93e1@mirror.example/debian";
  Result<std::string> missing = release_digest(mirror, "bookwrom", answering({404, {}, ""}, &urls));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error(),
            "the Debian mirror http://apt:***@mirror.example/debian has no suite \"bookwrom\" "
            "(http://apt:***@mirror.example/debian/dists/bookwrom/InRelease: HTTP 404): check the suite's name "
            "(bookworm, trixie, sid, ...)");
  Result<std::string> down = release_digest(mirror, "bookworm", answering({502, {}, ""}, &urls));
  ASSERT_FALSE(down.ok());
  EXPECT_EQ(down.error(),
            "cannot reach the Debian mirror http://apt:***@mirror.example/debian: "
            "http://apt:***@mirror.example/debian/dists/bookworm/InRelease: HTTP 502");
  EXPECT_EQ(urls.front(), mirror + "/dists/bookwrom/InRelease");  // the request itself keeps them
}

TEST(ReleaseDigest, AnInvalidSuiteIsNotAskedFor) {
  std::vector<std::string> urls;
  Result<std::string> digest = release_digest(kMirror, "../x", answering({200, {}, kInRelease}, &urls));
  ASSERT_FALSE(digest.ok());
  EXPECT_TRUE(urls.empty());
}

}  // namespace
}  // namespace xb::debian
