#include "oci/blob_sink.h"

#include <sys/stat.h>

#include <cstring>

namespace xb::oci {

namespace fs = std::filesystem;

namespace {

constexpr int kGzipOsUnknown = 255;
constexpr std::size_t kBufferSize = std::size_t{64} * 1024;

}  // namespace

BlobSink::BlobSink(fs::path directory, int level)
    : directory_(std::move(directory)), level_(level), output_(kBufferSize) {
  std::memset(&stream_, 0, sizeof(stream_));
  std::memset(&header_, 0, sizeof(header_));
}

BlobSink::~BlobSink() {
  if (deflating_) deflateEnd(&stream_);
}

Status BlobSink::open() {
  std::error_code ec;
  fs::create_directories(directory_, ec);
  if (ec) return fail("cannot create directory " + directory_.string() + ": " + ec.message());
  Result<TempFile> temp = TempFile::create_in(directory_, "layer", 0644);
  if (!temp) return fail(temp.error());
  temp_.emplace(std::move(temp).value());
  // windowBits 15 + 16: gzip wrapper. The header is pinned: no name, mtime 0, OS 255.
  if (deflateInit2(&stream_, level_, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    return fail("cannot initialise zlib");
  deflating_ = true;
  header_.time = 0;
  header_.os = kGzipOsUnknown;
  if (deflateSetHeader(&stream_, &header_) != Z_OK) return fail("cannot set the gzip header");
  return Ok{};
}

bool BlobSink::write(const void* data, std::size_t size) {
  diff_id_.update(data, size);
  stream_.next_in = static_cast<Bytef*>(const_cast<void*>(data));
  stream_.avail_in = static_cast<uInt>(size);
  return deflate_all(Z_NO_FLUSH);
}

Result<LayerBlob> BlobSink::finish() {
  if (!deflate_all(Z_FINISH)) return fail(error_);
  if (Status closed = temp_->close(Durability::now); !closed) return fail(closed.error());
  LayerBlob blob;
  blob.diff_id = diff_id_.digest();
  blob.digest = digest_.digest();
  blob.size = size_;
  fs::path final_path = directory_ / blob.digest.substr(std::string("sha256:").size());
  struct stat info {};
  if (::lstat(final_path.c_str(), &info) == 0) {
    temp_.reset();  // the same content is already there
  } else if (Status committed = temp_->commit(final_path); !committed) {
    return fail(committed.error());
  }
  return blob;
}

bool BlobSink::deflate_all(int flush) {
  for (;;) {
    stream_.next_out = output_.data();
    stream_.avail_out = static_cast<uInt>(output_.size());
    int status = deflate(&stream_, flush);
    if (status == Z_STREAM_ERROR) {
      error_ = "zlib deflate failed";
      return false;
    }
    std::size_t produced = output_.size() - stream_.avail_out;
    if (!write_out(produced)) return false;
    if (flush == Z_FINISH ? status == Z_STREAM_END : stream_.avail_out != 0) return true;
  }
}

bool BlobSink::write_out(std::size_t size) {
  digest_.update(output_.data(), size);
  size_ += static_cast<std::int64_t>(size);
  Status written = temp_->write(std::string_view(reinterpret_cast<const char*>(output_.data()), size));
  if (!written) error_ = written.error();
  return written.ok();
}

}  // namespace xb::oci
