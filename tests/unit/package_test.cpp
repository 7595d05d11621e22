// Tests for package.
#include <gtest/gtest.h>
