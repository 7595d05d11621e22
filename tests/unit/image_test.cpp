// Tests for image.
#include <gtest/gtest.h>
