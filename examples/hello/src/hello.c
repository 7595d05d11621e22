/* hello: says which machine it was built for; --self-test checks that the build matches it. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#if defined(__x86_64__)
#define ARCH "amd64"
#define POINTER_BITS 64
#elif defined(__aarch64__)
#define ARCH "arm64"
#define POINTER_BITS 64
#elif defined(__arm__)
#define ARCH "arm"
#define POINTER_BITS 32
#elif defined(__i386__)
#define ARCH "386"
#define POINTER_BITS 32
#elif defined(__riscv) && __riscv_xlen == 64
#define ARCH "riscv64"
#define POINTER_BITS 64
#else
#error "unsupported architecture"
#endif

static int failures;

static void check(int ok, const char *what) {
  if (!ok) {
    fprintf(stderr, "self-test: FAILED: %s\n", what);
    failures++;
  }
}

static uint32_t checksum(const char *text) {
  uint32_t sum = 2166136261u; /* FNV-1a */
  for (; *text; text++) sum = (sum ^ (uint8_t)*text) * 16777619u;
  return sum;
}

static int self_test(void) {
  uint16_t probe = 1;
  check(sizeof(void *) * 8 == POINTER_BITS, "pointer size matches the architecture");
  check(*(uint8_t *)&probe == 1, "little-endian byte order");
  check(checksum("xbuild") == 0x499ea72du, "32-bit unsigned arithmetic (FNV-1a)");
  char buffer[32];
  snprintf(buffer, sizeof buffer, "%s-%d", ARCH, POINTER_BITS);
  check(strlen(buffer) > 3 && strchr(buffer, '-') != NULL, "libc string formatting");
  check((int64_t)1 << 40 == 1099511627776LL, "64-bit arithmetic");
  if (failures) return 1;
  printf("self-test passed on %s (%d-bit)\n", ARCH, POINTER_BITS);
  return 0;
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "--self-test") == 0) return self_test();
  printf("hello from linux/%s\n", ARCH);
  return 0;
}
