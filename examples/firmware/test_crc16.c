// The firmware's unit tests. XB_FAIL_TEST / XB_HANG_TEST (compile-time) add a failing test or
// a loop that never returns, to show how `xbuild firmware test` reports them.
#include "crc16.h"
#include "unity_mini.h"

static void test_check_value(void) { TEST_ASSERT_EQUAL_INT(0x29B1, crc16_ccitt((const uint8_t*)"123456789", 9)); }
static void test_empty_input(void) { TEST_ASSERT_EQUAL_INT(0xFFFF, crc16_ccitt(0, 0)); }
static void test_single_byte(void) { TEST_ASSERT_TRUE(crc16_ccitt((const uint8_t*)"A", 1) == 0xB915); }
#ifdef XB_FAIL_TEST
static void test_deliberately_wrong(void) { TEST_ASSERT_EQUAL_INT(0x1234, crc16_ccitt((const uint8_t*)"123456789", 9)); }
#endif

int main(void) {
  UNITY_BEGIN();
  RUN_TEST(test_check_value);
  RUN_TEST(test_empty_input);
  RUN_TEST(test_single_byte);
#ifdef XB_FAIL_TEST
  RUN_TEST(test_deliberately_wrong);
#endif
#ifdef XB_HANG_TEST
  for (volatile int spin = 1; spin;) {
  }
#endif
  return UNITY_END();
}
