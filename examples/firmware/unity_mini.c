#include "unity_mini.h"

int unity_tests, unity_failures;
jmp_buf unity_abort;

int unity_end(void) {
  printf("\n-----------------------\n%d Tests %d Failures 0 Ignored\n%s\n", unity_tests, unity_failures,
         unity_failures == 0 ? "OK" : "FAIL");
  fflush(stdout);
  return unity_failures;
}
