// Tests for process.
#include <gtest/gtest.h>
