// Tests for config.
#include <gtest/gtest.h>
