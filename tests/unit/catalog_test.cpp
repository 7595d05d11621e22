// Tests for catalog.
#include <gtest/gtest.h>
