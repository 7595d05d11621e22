// Tests for scheduler.
#include <gtest/gtest.h>
