#include <gtest/gtest.h>
TEST(Ca, Placeholder) {}
