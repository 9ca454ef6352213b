/* The cursor is the one place that touches packet bytes: its edge cases
 * decide whether every decoder is safe. */
#include "cursor.h"
#include "testutil.h"

static const uint8_t B[] = { 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08 };

static void test_reads_in_order(void)
{
	struct cur c = cur_init(B, sizeof B);
	CU_ASSERT_EQUAL(cur_u8(&c), 0x01);
	CU_ASSERT_EQUAL(cur_be16(&c), 0x0203);
	CU_ASSERT_EQUAL(cur_be24(&c), 0x040506);
	CU_ASSERT_EQUAL(cur_le16(&c), 0x0807);
	CU_ASSERT_TRUE(cur_ok(&c));
	CU_ASSERT_EQUAL(cur_left(&c), 0);
}

static void test_overrun_latches_and_reads_zero(void)
{
	struct cur c = cur_init(B, 3);
	CU_ASSERT_EQUAL(cur_be32(&c), 0); /* needs 4, has 3 */
	CU_ASSERT_FALSE(cur_ok(&c));
	CU_ASSERT_EQUAL(cur_pos(&c), 0); /* nothing consumed */
	CU_ASSERT_EQUAL(cur_u8(&c), 0);  /* stays failed even though a byte remains */
	CU_ASSERT_EQUAL(cur_left(&c), 0);
	CU_ASSERT_PTR_NULL(cur_take(&c, 1));
}

static void test_le32_be32(void)
{
	struct cur c = cur_init(B, sizeof B);
	CU_ASSERT_EQUAL(cur_be32(&c), 0x01020304u);
	CU_ASSERT_EQUAL(cur_le32(&c), 0x08070605u);
	CU_ASSERT_TRUE(cur_ok(&c));
}

static void test_sub_window(void)
{
	struct cur c = cur_init(B, sizeof B);
	cur_skip(&c, 2);
	struct cur s = cur_sub(&c, 3);
	CU_ASSERT_TRUE(cur_ok(&s));
	CU_ASSERT_EQUAL(cur_left(&s), 3);
	CU_ASSERT_EQUAL(cur_u8(&s), 0x03);
	CU_ASSERT_EQUAL(cur_be16(&s), 0x0405);
	CU_ASSERT_EQUAL(cur_u8(&s), 0); /* the child cannot read past its window */
	CU_ASSERT_FALSE(cur_ok(&s));
	CU_ASSERT_TRUE(cur_ok(&c)); /* the parent is not affected */
	CU_ASSERT_EQUAL(cur_u8(&c), 0x06);
}

static void test_sub_too_long(void)
{
	struct cur c = cur_init(B, sizeof B);
	struct cur s = cur_sub(&c, 9);
	CU_ASSERT_FALSE(cur_ok(&s));
	CU_ASSERT_FALSE(cur_ok(&c));
	CU_ASSERT_EQUAL(cur_left(&s), 0);
}

static void test_huge_length_no_wrap(void)
{
	/* pos + n must not wrap around: SIZE_MAX would pass a naive check */
	struct cur c = cur_init(B, sizeof B);
	cur_skip(&c, 1);
	cur_skip(&c, SIZE_MAX);
	CU_ASSERT_FALSE(cur_ok(&c));
}

static void test_seek_and_peek(void)
{
	struct cur c = cur_init(B, sizeof B);
	uint8_t v = 0;
	CU_ASSERT_TRUE(cur_seek(&c, 7));
	CU_ASSERT_TRUE(cur_peek(&c, 0, &v));
	CU_ASSERT_EQUAL(v, 0x08);
	CU_ASSERT_FALSE(cur_peek(&c, 1, &v));
	CU_ASSERT_TRUE(cur_ok(&c)); /* peeking never latches */
	CU_ASSERT_TRUE(cur_seek(&c, 8)); /* end is a valid position */
	CU_ASSERT_FALSE(cur_seek(&c, 9));
	CU_ASSERT_FALSE(cur_ok(&c));
}

static void test_copy_zero_fills(void)
{
	uint8_t out[4] = { 0xff, 0xff, 0xff, 0xff };
	struct cur c = cur_init(B, 2);
	cur_copy(&c, out, 4);
	CU_ASSERT_EQUAL(out[0], 0);
	CU_ASSERT_EQUAL(out[3], 0);
	CU_ASSERT_FALSE(cur_ok(&c));
}

static void test_null_base(void)
{
	struct cur c = cur_init(NULL, 100); /* a NULL buffer is empty, whatever the length */
	CU_ASSERT_EQUAL(cur_left(&c), 0);
	CU_ASSERT_EQUAL(cur_u8(&c), 0);
	CU_ASSERT_FALSE(cur_ok(&c));
}

static const struct sd_test tests[] = {
	SD_TEST(test_reads_in_order), SD_TEST(test_overrun_latches_and_reads_zero),
	SD_TEST(test_le32_be32), SD_TEST(test_sub_window), SD_TEST(test_sub_too_long),
	SD_TEST(test_huge_length_no_wrap), SD_TEST(test_seek_and_peek), SD_TEST(test_copy_zero_fills),
	SD_TEST(test_null_base), { 0 },
};

int main(void) { return sd_run_tests("cursor", tests); }
