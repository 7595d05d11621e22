// Tests for fs.
#include <gtest/gtest.h>
