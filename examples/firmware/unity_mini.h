// A minimal Unity-style test runner: RUN_TEST, TEST_ASSERT_*, and Unity's summary
// ("N Tests N Failures N Ignored" then OK or FAIL), printed through semihosting.
#pragma once

#include <stdio.h>
#include <setjmp.h>

extern int unity_tests, unity_failures;
extern jmp_buf unity_abort;

#define UNITY_BEGIN() (unity_tests = 0, unity_failures = 0)
#define RUN_TEST(fn)                                         \
  do {                                                       \
    ++unity_tests;                                           \
    if (setjmp(unity_abort) == 0) {                          \
      fn();                                                  \
      printf("%s:%d:%s:PASS\n", __FILE__, __LINE__, #fn);    \
    }                                                        \
  } while (0)
#define TEST_FAIL_MESSAGE(msg)                                            \
  do {                                                                    \
    ++unity_failures;                                                     \
    printf("%s:%d:%s:FAIL: %s\n", __FILE__, __LINE__, __func__, msg);     \
    longjmp(unity_abort, 1);                                              \
  } while (0)
#define TEST_ASSERT_EQUAL_INT(expected, actual)                                     \
  do {                                                                              \
    long long e_ = (expected), a_ = (actual);                                       \
    if (e_ != a_) {                                                                 \
      char m_[64];                                                                  \
      snprintf(m_, sizeof m_, "Expected %lld Was %lld", e_, a_);                    \
      TEST_FAIL_MESSAGE(m_);                                                        \
    }                                                                               \
  } while (0)
#define TEST_ASSERT_TRUE(condition) \
  do {                              \
    if (!(condition)) TEST_FAIL_MESSAGE("Expected TRUE Was FALSE"); \
  } while (0)

// Prints the summary and returns the number of failures (main's exit code).
int unity_end(void);
#define UNITY_END() unity_end()
