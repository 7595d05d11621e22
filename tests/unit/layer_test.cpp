// Tests for layer.
#include <gtest/gtest.h>
