// Tests for environment.
#include <gtest/gtest.h>
