// Tests for plan.
#include <gtest/gtest.h>
