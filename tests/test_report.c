#include "testutil.h"
static void test_placeholder(void) { CU_ASSERT(1); }
static const struct sd_test tests[] = { SD_TEST(test_placeholder), {0} };
int main(void) { return sd_run_tests("report", tests); }
