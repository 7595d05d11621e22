// Tests for strings.
#include <gtest/gtest.h>
