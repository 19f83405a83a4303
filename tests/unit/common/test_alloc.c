/* Unit tests of common/alloc.c: sg_array_grow, the one way arrays grow. */
#include "sg_test.h"

#include <string.h>

#include "common/common.h"

static void test_array__grows_from_first_then_doubles(void **state)
{
    int *v = NULL;
    size_t cap = 0, i;
    (void)state;
    assert_int_equal(SG_ARRAY_GROW(v, cap, 1, 8), 0);
    assert_non_null(v);
    assert_int_equal(cap, 8);
    for (i = 0; i < 8; i++)
        v[i] = (int)i;
    assert_int_equal(SG_ARRAY_GROW(v, cap, 8, 8), 0); /* room already */
    assert_int_equal(cap, 8);
    assert_int_equal(SG_ARRAY_GROW(v, cap, 9, 8), 0);
    assert_int_equal(cap, 16);
    assert_int_equal(SG_ARRAY_GROW(v, cap, 100, 8), 0);
    assert_int_equal(cap, 128);
    for (i = 0; i < 8; i++)
        assert_int_equal(v[i], (int)i); /* contents kept */
    v[99] = 99;
    sg_free(v);
}

static void test_array__zero_first_starts_at_one(void **state)
{
    char *v = NULL;
    size_t cap = 0;
    (void)state;
    assert_int_equal(SG_ARRAY_GROW(v, cap, 1, 0), 0);
    assert_int_equal(cap, 1);
    assert_int_equal(SG_ARRAY_GROW(v, cap, 3, 0), 0);
    assert_int_equal(cap, 4);
    sg_free(v);
}

static void test_array__overflow_is_enomem_and_changes_nothing(void **state)
{
    uint64_t *v = NULL;
    size_t cap = 0;
    (void)state;
    assert_int_equal(SG_ARRAY_GROW(v, cap, 4, 4), 0);
    v[0] = 7;
    /* the byte count overflows */
    assert_int_equal(SG_ARRAY_GROW(v, cap, SIZE_MAX / 4, 4), SG_ENOMEM);
    /* the element count itself overflows while doubling */
    assert_int_equal(SG_ARRAY_GROW(v, cap, SIZE_MAX, 4), SG_ENOMEM);
    assert_int_equal(sg_array_grow(&v, &cap, SIZE_MAX / 2 + 2, 1, 4), SG_ENOMEM);
    assert_int_equal(cap, 4);
    assert_int_equal(v[0], 7);
    sg_free(v);
}

static void test_array__allocation_failure_keeps_the_array(void **state)
{
    int *v = NULL;
    size_t cap = 0;
    (void)state;
    assert_int_equal(SG_ARRAY_GROW(v, cap, 2, 2), 0);
    v[1] = 5;
    sg_alloc__fail_after(0);
    assert_int_equal(SG_ARRAY_GROW(v, cap, 3, 2), SG_ENOMEM);
    sg_alloc__fail_after(-1);
    assert_int_equal(cap, 2);
    assert_int_equal(v[1], 5);
    assert_int_equal(SG_ARRAY_GROW(v, cap, 3, 2), 0);
    assert_int_equal(cap, 4);
    assert_int_equal(v[1], 5);
    sg_free(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_array__grows_from_first_then_doubles),
        cmocka_unit_test(test_array__zero_first_starts_at_one),
        cmocka_unit_test(test_array__overflow_is_enomem_and_changes_nothing),
        cmocka_unit_test(test_array__allocation_failure_keeps_the_array),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
