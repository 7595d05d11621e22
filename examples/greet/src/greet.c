/* greet: prints a greeting that names the operating system it runs on. The same source builds
 * for Linux and for Windows; only system.c / system_windows.c differ. `greet --self-test`
 * checks the formatting and that the system answers, and exits 0 when everything passed. */
#include <stdio.h>
#include <string.h>

#include "greet.h"

int format_greeting(char *buf, size_t size, const char *who, const char *system) {
  int n = snprintf(buf, size, "Hello, %s, from %s!", who, system);
  return n >= 0 && (size_t)n < size ? 0 : -1;
}

static int self_test(void) {
  char buf[128];
  char sys[64];
  int failures = 0;
  if (format_greeting(buf, sizeof buf, "world", "Plan 9") != 0 || strcmp(buf, "Hello, world, from Plan 9!") != 0) {
    printf("FAIL format_greeting: \"%s\"\n", buf);
    failures++;
  }
  if (format_greeting(buf, 8, "world", "Plan 9") == 0) {
    printf("FAIL format_greeting accepted a buffer that is too small\n");
    failures++;
  }
  if (system_name(sys, sizeof sys) != 0 || sys[0] == '\0') {
    printf("FAIL system_name\n");
    failures++;
  }
  printf("self-test on %s: %s\n", sys, failures ? "FAILED" : "passed");
  return failures ? 1 : 0;
}

int main(int argc, char **argv) {
  char sys[64];
  char buf[160];
  if (argc > 1 && strcmp(argv[1], "--self-test") == 0) return self_test();
  if (system_name(sys, sizeof sys) != 0) return 1;
  if (format_greeting(buf, sizeof buf, argc > 1 ? argv[1] : "world", sys) != 0) return 1;
  puts(buf);
  return 0;
}
