// The exit(0) probe programs, written out byte by byte.
//
// Each program is an ELF header, one PT_LOAD program header that maps the whole file
// read+execute at 0x400000, and a handful of hand-assembled instructions at the entry point:
// put 0 in the first argument register, the exit system call number in the syscall register,
// trap. 64-bit targets use ELFCLASS64 headers (64 + 56 bytes), 32-bit ones ELFCLASS32 (52 + 32
// bytes); s390x is the one big-endian target, so every multi-byte field is written in the
// target's byte order. ppc64le carries e_flags = 2 (ELFv2 ABI, entry is code, not a descriptor).
#include "emulate/elf_probe.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <vector>

#include "util/fs.h"
#include "util/probe.h"

namespace xb {

namespace fs = std::filesystem;

namespace {

struct ElfTarget {
  const char* arch;
  bool is_64;
  bool big_endian;
  std::uint16_t machine;
  std::uint32_t flags;
  std::vector<std::uint8_t> code;
};

const std::vector<ElfTarget>& targets() {
  static const std::vector<ElfTarget> list = {
      // mov x0, #0; mov x8, #93 (exit); svc #0
      {"aarch64", true, false, 0xb7, 0, {0x00, 0x00, 0x80, 0xd2, 0xa8, 0x0b, 0x80, 0xd2, 0x01, 0x00, 0x00, 0xd4}},
      // mov r0, #0; mov r7, #1 (exit); svc #0   (EABI version 5 in e_flags)
      {"arm", false, false, 0x28, 0x05000000, {0x00, 0x00, 0xa0, 0xe3, 0x01, 0x70, 0xa0, 0xe3, 0x00, 0x00, 0x00, 0xef}},
      // li a0, 0; li a7, 93 (exit); ecall
      {"riscv64", true, false, 0xf3, 0, {0x13, 0x05, 0x00, 0x00, 0x93, 0x08, 0xd0, 0x05, 0x73, 0x00, 0x00, 0x00}},
      // mov eax, 1 (exit); xor ebx, ebx; int 0x80
      {"i386", false, false, 0x03, 0, {0xb8, 0x01, 0x00, 0x00, 0x00, 0x31, 0xdb, 0xcd, 0x80}},
      // mov eax, 60 (exit); xor edi, edi; syscall
      {"x86_64", true, false, 0x3e, 0, {0xb8, 0x3c, 0x00, 0x00, 0x00, 0x31, 0xff, 0x0f, 0x05}},
      // li r0, 1 (exit); li r3, 0; sc
      {"ppc64le", true, false, 0x15, 2, {0x01, 0x00, 0x00, 0x38, 0x00, 0x00, 0x60, 0x38, 0x02, 0x00, 0x00, 0x44}},
      // lghi %r2, 0; svc 1 (exit)
      {"s390x", true, true, 0x16, 0, {0xa7, 0x29, 0x00, 0x00, 0x0a, 0x01}},
  };
  return list;
}

class ElfWriter {
 public:
  explicit ElfWriter(bool big_endian) : big_endian_(big_endian) {}
  void u8(std::uint8_t value) { bytes_.push_back(static_cast<char>(value)); }
  void u16(std::uint16_t value) { put(value, 2); }
  void u32(std::uint32_t value) { put(value, 4); }
  void u64(std::uint64_t value) { put(value, 8); }
  void word(bool is_64, std::uint64_t value) { is_64 ? u64(value) : u32(static_cast<std::uint32_t>(value)); }
  std::string& bytes() { return bytes_; }

 private:
  void put(std::uint64_t value, int size) {
    for (int i = 0; i < size; ++i) {
      int shift = big_endian_ ? (size - 1 - i) * 8 : i * 8;
      u8(static_cast<std::uint8_t>(value >> shift));
    }
  }
  bool big_endian_;
  std::string bytes_;
};

}  // namespace

Result<std::string> exit_zero_elf(const std::string& arch) {
  const ElfTarget* target = nullptr;
  for (const ElfTarget& candidate : targets())
    if (arch == candidate.arch) target = &candidate;
  if (!target) return fail("no probe program for architecture \"" + arch + "\"");

  const bool w = target->is_64;
  const std::uint64_t base = 0x400000;
  const std::uint16_t header_size = w ? 64 : 52;
  const std::uint16_t phdr_size = w ? 56 : 32;
  const std::uint64_t entry = base + header_size + phdr_size;
  const std::uint64_t file_size = header_size + phdr_size + target->code.size();

  ElfWriter out(target->big_endian);
  // e_ident: magic, class, data, version, OS ABI (System V), padding.
  for (std::uint8_t b : {0x7f, 0x45, 0x4c, 0x46}) out.u8(b);  // \x7f E L F
  out.u8(w ? 2 : 1);
  out.u8(target->big_endian ? 2 : 1);
  out.u8(1);
  for (int i = 0; i < 9; ++i) out.u8(0);
  out.u16(2);  // ET_EXEC
  out.u16(target->machine);
  out.u32(1);  // EV_CURRENT
  out.word(w, entry);
  out.word(w, header_size);  // e_phoff: right after this header
  out.word(w, 0);            // e_shoff: no sections
  out.u32(target->flags);
  out.u16(header_size);
  out.u16(phdr_size);
  out.u16(1);            // e_phnum
  out.u16(w ? 64 : 40);  // e_shentsize
  out.u16(0);            // e_shnum
  out.u16(0);            // e_shstrndx
  // The one program header: PT_LOAD, R+X, the whole file at `base`.
  out.u32(1);
  if (w) out.u32(5);  // p_flags sits here in ELF64
  out.word(w, 0);     // p_offset
  out.word(w, base);  // p_vaddr
  out.word(w, base);  // p_paddr
  out.word(w, file_size);
  out.word(w, file_size);
  if (!w) out.u32(5);   // p_flags sits here in ELF32
  out.word(w, 0x1000);  // p_align
  for (std::uint8_t b : target->code) out.u8(b);
  return out.bytes();
}

bool probe_runs(const std::string& arch) {
  Result<std::string> program = exit_zero_elf(arch);
  if (!program) return false;
  std::string pattern = (fs::temp_directory_path() / "xbuild-probe.XXXXXX").string();
  if (!mkdtemp(pattern.data())) return false;
  TempDir dir{fs::path(pattern)};
  fs::path file = dir.path() / ("exit0-" + arch);
  if (!write_file_atomic(file, program.value())) return false;
  if (chmod(file.c_str(), 0755) != 0) return false;
  ProbeOptions options;
  options.timeout = std::chrono::milliseconds(10000);
  return probe_output({file.string()}, options).ok();
}

}  // namespace xb
