// Test helper: a PNG decoded to RGBA pixels, for tests that check what a browser drew. Reads
// what Chromium writes (8-bit RGB or RGBA, not interlaced): the IHDR, the IDAT stream inflated
// with zlib, each row's filter undone (PNG spec, section 9). Anything else is an error string.
#pragma once

#include <zlib.h>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

namespace xb::testing {

struct Png {
  std::uint32_t width = 0, height = 0;
  std::vector<std::uint32_t> pixels;  // 0xRRGGBBAA, row by row
  std::string error;                  // why it could not be decoded; empty when it was
};

namespace png_detail {

inline std::uint32_t be32(const std::string& data, std::size_t at) {
  return static_cast<std::uint32_t>(static_cast<unsigned char>(data[at])) << 24 |
         static_cast<std::uint32_t>(static_cast<unsigned char>(data[at + 1])) << 16 |
         static_cast<std::uint32_t>(static_cast<unsigned char>(data[at + 2])) << 8 |
         static_cast<std::uint32_t>(static_cast<unsigned char>(data[at + 3]));
}

inline int paeth(int a, int b, int c) {
  const int p = a + b - c, pa = std::abs(p - a), pb = std::abs(p - b), pc = std::abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

}  // namespace png_detail

inline Png decode_png(const std::string& data) {
  using png_detail::be32;
  Png png;
  if (data.size() < 8 || data.compare(0, 8, "\x89PNG\r\n\x1a\n") != 0) return {0, 0, {}, "no PNG signature"};
  std::string compressed;
  int color_type = -1;
  for (std::size_t at = 8; at + 12 <= data.size();) {
    const std::uint32_t length = be32(data, at);
    const std::string type = data.substr(at + 4, 4);
    if (at + 12 + length > data.size()) return {0, 0, {}, "a chunk runs past the end"};
    if (type == "IHDR") {
      png.width = be32(data, at + 8);
      png.height = be32(data, at + 12);
      const int depth = static_cast<unsigned char>(data[at + 16]);
      color_type = static_cast<unsigned char>(data[at + 17]);
      if (depth != 8 || (color_type != 2 && color_type != 6) || data[at + 20] != 0)
        return {0, 0, {}, "not 8-bit RGB(A) without interlace"};
    } else if (type == "IDAT") {
      compressed += data.substr(at + 8, length);
    } else if (type == "IEND") {
      break;
    }
    at += 12 + length;
  }
  if (color_type < 0 || png.width == 0 || png.height == 0) return {0, 0, {}, "no image header"};
  const std::size_t channels = color_type == 6 ? 4 : 3, stride = png.width * channels;
  std::string raw((stride + 1) * png.height, '\0');
  uLongf size = static_cast<uLongf>(raw.size());
  if (uncompress(reinterpret_cast<Bytef*>(raw.data()), &size, reinterpret_cast<const Bytef*>(compressed.data()),
                 static_cast<uLong>(compressed.size())) != Z_OK ||
      size != raw.size())
    return {0, 0, {}, "the image data does not inflate to its size"};
  std::vector<unsigned char> previous(stride, 0), row(stride);
  png.pixels.reserve(static_cast<std::size_t>(png.width) * png.height);
  for (std::uint32_t y = 0; y < png.height; ++y) {
    const int filter = static_cast<unsigned char>(raw[y * (stride + 1)]);
    for (std::size_t x = 0; x < stride; ++x) {
      const int value = static_cast<unsigned char>(raw[y * (stride + 1) + 1 + x]);
      const int left = x >= channels ? row[x - channels] : 0, up = previous[x];
      const int up_left = x >= channels ? previous[x - channels] : 0;
      int predicted = 0;
      switch (filter) {
        case 0:
          break;
        case 1:
          predicted = left;
          break;
        case 2:
          predicted = up;
          break;
        case 3:
          predicted = (left + up) / 2;
          break;
        case 4:
          predicted = png_detail::paeth(left, up, up_left);
          break;
        default:
          return {0, 0, {}, "an unknown row filter"};
      }
      row[x] = static_cast<unsigned char>(value + predicted);
    }
    for (std::size_t x = 0; x < stride; x += channels)
      png.pixels.push_back(static_cast<std::uint32_t>(row[x]) << 24 | static_cast<std::uint32_t>(row[x + 1]) << 16 |
                           static_cast<std::uint32_t>(row[x + 2]) << 8 | (channels == 4 ? row[x + 3] : 0xffu));
    previous = row;
  }
  return png;
}

}  // namespace xb::testing
