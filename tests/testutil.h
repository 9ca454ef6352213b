/*
 * testutil.h - a thin layer over CUnit so each test file is just its tests:
 *
 *   static void test_x(void) { CU_ASSERT_EQUAL(...); }
 *   static const struct sd_test tests[] = { SD_TEST(test_x), {0} };
 *   int main(void) { return sd_run_tests("dns", tests); }
 */
#ifndef SD_TESTUTIL_H
#define SD_TESTUTIL_H

#include <CUnit/CUnit.h>
#include <stddef.h>
#include <stdint.h>

struct sd_test {
	const char *name;
	void (*fn)(void);
};
#define SD_TEST(f) { #f, f }

/* Runs the suite with CUnit's basic interface; exit status 0 only if every
 * assertion passed. */
int sd_run_tests(const char *suite, const struct sd_test *tests);

/* Decodes a hex string (spaces and newlines ignored) into buf; returns the
 * length, or aborts the test program on bad input. */
size_t sd_hex(const char *hex, uint8_t *buf, size_t cap);

/* Path of a file in the source tree ("captures/x.pcap"), in a static buffer. */
const char *sd_srcpath(const char *rel);

/* Path of a public test capture: $SIPDISC_PUBLIC/rel, else
 * <top_srcdir>/../shared/captures-public/rel (where CI lays shared/). Tests
 * skip with a message when it is absent. Static buffer. */
const char *sd_pubpath(const char *rel);

/* Reads a whole file into a malloc'd buffer; NULL if absent. */
uint8_t *sd_slurp(const char *path, size_t *len);

#endif
