// Tests for platform.
#include <gtest/gtest.h>
