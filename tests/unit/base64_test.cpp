// Tests for util/base64 (OpenSSL's EVP_EncodeBlock / EVP_DecodeBlock underneath).
#include "util/base64.h"

#include <gtest/gtest.h>

namespace xb {
namespace {

TEST(Base64, Encodes) {
  EXPECT_EQ(base64_encode(""), "");
  EXPECT_EQ(base64_encode("f"), "Zg==");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_EQ(base64_encode("foo"), "Zm9v");
  EXPECT_EQ(base64_encode("foob"), "Zm9vYg==");
  EXPECT_EQ(base64_encode(std::string("\0\xff\xfe", 3)), "AP/+");
}

TEST(Base64, DecodesPaddedAndUnpadded) {
  EXPECT_EQ(base64_decode(""), "");
  EXPECT_EQ(base64_decode("Zg=="), "f");
  EXPECT_EQ(base64_decode("Zg"), "f");
  EXPECT_EQ(base64_decode("Zm8="), "fo");
  EXPECT_EQ(base64_decode("Zm8"), "fo");
  EXPECT_EQ(base64_decode("Zm9v"), "foo");
  EXPECT_EQ(base64_decode("Zm9vYg=="), "foob");
  EXPECT_EQ(base64_decode("AP/+"), std::string("\0\xff\xfe", 3));
  EXPECT_EQ(base64_decode("YWxpY2U6cDphOnNz"), "alice:p:a:ss");
  // Anything after the padding is ignored; a lone sixth bit group makes no byte.
  EXPECT_EQ(base64_decode("Zg==Zm9v"), "f");
  EXPECT_EQ(base64_decode("Zm9vY"), "foo");
}

TEST(Base64, RefusesCharactersOutsideTheAlphabet) {
  EXPECT_EQ(base64_decode("Zm9v!"), std::nullopt);
  EXPECT_EQ(base64_decode("Zm 9v"), std::nullopt);
  EXPECT_EQ(base64_decode("Zm9v\n"), std::nullopt);
  EXPECT_EQ(base64_decode("Zm-v"), std::nullopt);
}

}  // namespace
}  // namespace xb
