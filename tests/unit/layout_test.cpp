// Tests for layout.
#include <gtest/gtest.h>
