// Reading an executable's format with three small reads at most: the first bytes (the ELF
// header, or a "#!" line), the program header table at e_phoff, and the PT_INTERP string at
// that header's p_offset. Both ELF classes and both byte orders are read, as the e_ident bytes
// say, so one reader serves every target architecture. The kernel takes the first PT_INTERP;
// so does this.
#include "util/executable.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

namespace xb {

namespace {

constexpr std::uint32_t kPtInterp = 3;
constexpr std::size_t kMaxProgramHeaders = 4096;  // far more than any linker writes
constexpr std::size_t kMaxInterpreter = 4096;     // PATH_MAX
constexpr std::size_t kFirstBytes = 256;          // an ELF header, or a "#!" line's start

class File {
 public:
  explicit File(const std::filesystem::path& path) : fd_(::open(path.c_str(), O_RDONLY | O_CLOEXEC)) {}
  ~File() {
    if (fd_ >= 0) ::close(fd_);
  }
  File(const File&) = delete;
  File& operator=(const File&) = delete;
  bool is_open() const { return fd_ >= 0; }
  // Up to `size` bytes at `offset`; fewer at the end of the file.
  Result<std::string> read(std::uint64_t offset, std::size_t size) const {
    std::string bytes(size, '\0');
    std::size_t done = 0;
    while (done < size) {
      ssize_t n = ::pread(fd_, bytes.data() + done, size - done, static_cast<off_t>(offset + done));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return fail(std::strerror(errno));
      if (n == 0) break;
      done += static_cast<std::size_t>(n);
    }
    bytes.resize(done);
    return bytes;
  }

 private:
  int fd_;
};

// Fields of the file's byte order.
struct Decoder {
  bool big_endian;
  std::uint64_t get(const std::string& bytes, std::size_t at, int size) const {
    std::uint64_t value = 0;
    for (int i = 0; i < size; ++i) {
      auto byte = static_cast<std::uint64_t>(static_cast<unsigned char>(bytes[at + i]));
      value |= byte << (8 * (big_endian ? size - 1 - i : i));
    }
    return value;
  }
};

ExecutableFormat script(const std::string& head) {
  ExecutableFormat format;
  format.kind = ExecutableFormat::Kind::script;
  std::size_t start = head.find_first_not_of(" \t", 2);
  if (start == std::string::npos) return format;
  std::size_t end = head.find_first_of(" \t\r\n", start);
  format.interpreter = head.substr(start, end == std::string::npos ? std::string::npos : end - start);
  return format;
}

Result<ExecutableFormat> elf(const File& file, const std::string& head, const std::string& name) {
  const bool is_64 = head[4] == 2;
  if ((head[4] != 1 && head[4] != 2) || (head[5] != 1 && head[5] != 2))
    return fail(name + " is an ELF file of an unknown class or byte order");
  const Decoder decode{head[5] == 2};
  const std::size_t header_size = is_64 ? 64 : 52;
  if (head.size() < header_size) return fail(name + ": the ELF header is cut short");
  const std::uint64_t phoff = is_64 ? decode.get(head, 32, 8) : decode.get(head, 28, 4);
  const std::size_t phentsize = decode.get(head, is_64 ? 54 : 42, 2);
  const std::size_t phnum = decode.get(head, is_64 ? 56 : 44, 2);
  const std::size_t entry_size = is_64 ? 56 : 32;
  ExecutableFormat format;
  format.kind = ExecutableFormat::Kind::elf;
  if (phnum == 0) return format;
  if (phentsize < entry_size || phnum > kMaxProgramHeaders)
    return fail(name + ": the ELF program header table is malformed");
  Result<std::string> table = file.read(phoff, phentsize * phnum);
  if (!table) return fail("cannot read " + name + ": " + table.error());
  if (table.value().size() < phentsize * phnum) return fail(name + ": the ELF program header table is cut short");
  for (std::size_t i = 0; i < phnum; ++i) {
    const std::size_t at = i * phentsize;
    if (decode.get(table.value(), at, 4) != kPtInterp) continue;
    const std::uint64_t offset = is_64 ? decode.get(table.value(), at + 8, 8) : decode.get(table.value(), at + 4, 4);
    const std::uint64_t size = is_64 ? decode.get(table.value(), at + 32, 8) : decode.get(table.value(), at + 16, 4);
    if (size == 0 || size > kMaxInterpreter) return fail(name + ": the ELF PT_INTERP header is malformed");
    Result<std::string> path = file.read(offset, static_cast<std::size_t>(size));
    if (!path) return fail("cannot read " + name + ": " + path.error());
    if (path.value().size() < size) return fail(name + ": the ELF interpreter path is cut short");
    format.interpreter = path.value().substr(0, path.value().find('\0'));
    return format;
  }
  return format;
}

}  // namespace

Result<ExecutableFormat> read_executable_format(const std::filesystem::path& path) {
  File file(path);
  if (!file.is_open()) return fail("cannot read " + path.string() + ": " + std::strerror(errno));
  Result<std::string> head = file.read(0, kFirstBytes);
  if (!head) return fail("cannot read " + path.string() + ": " + head.error());
  const std::string& bytes = head.value();
  if (bytes.size() >= 6 && bytes.compare(0, 4,
                                         "\x7f"
                                         "ELF") == 0)
    return elf(file, bytes, path.string());
  if (bytes.size() >= 2 && bytes.compare(0, 2, "#!") == 0) return script(bytes);
  return ExecutableFormat{};
}

}  // namespace xb
