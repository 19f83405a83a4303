/*
 * Tests of the registry integrity check (verifier/fetch/integrity.c): dist.integrity parsed
 * as ssri does (several hashes, unknown algorithms, options, malformed tokens), dist.shasum,
 * and the comparison of finished digests, all over the bytes "abc".
 */
#include "sg_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "verifier/fetch/integrity_int.h"

#define SHA1_ABC "qZk+NkcGgWq6PiVxeFDCbJzQ2J0="
#define SHA256_ABC "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0="
#define SHA384_ABC "ywB1P0WjXou1oD1pmsZQBycsMqsO3tFjGotgWkP/W+2AhgcroefMI1i67KE0yCWn"
#define SHA512_ABC                                                                                 \
    "3a81oZNherrMQXNJriBBMRLm+k6JqX6iCp7u5ktV05ohkpkqJ0/BqDa6PCOj/uu9RU1EI2Q86A4qmslPpUyknw=="
#define SHA1_HEX_ABC "a9993e364706816aba3e25717850c26c9cd0d89d"
/* the sha512 of "abd": well-formed, wrong for "abc" */
#define SHA512_OTHER                                                                               \
    "GphAwnpc8i2rBgzdioPaKw+8sa61LU+dOJS2OQg+IFpas/avrushuOmbXg/pPar6q+7ydNpdbq3MnbNuW29kxA=="

typedef struct fx {
    sg_ctx *ctx; /* context */
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    assert_int_equal(sg_ctx_new(&f->ctx), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    sg_ctx_free(f->ctx);
    free(f);
    return 0;
}

/* Parse, digest "abc" with what e wants, check; the check's result (parse must succeed). */
static int check_abc(fx *f, const sg_sri_expect *e)
{
    sg_digests d;
    int rc;
    memset(&d, 0, sizeof(d));
    sg_integrity__wants(&d, e);
    assert_int_equal(sg_integrity__digest_bytes(&d, f->ctx, "abc", 3), 0);
    rc = sg_integrity__check(f->ctx, e, &d, "https://r.example/x.tgz");
    sg_integrity__digests_dispose(&d);
    return rc;
}

typedef struct parse_case {
    const char *integrity; /* dist.integrity, or NULL */
    const char *shasum;    /* dist.shasum, or NULL */
    int parse_rc;          /* sg_integrity__parse's result */
    size_t nhashes;        /* usable SRI hashes */
    int strongest;         /* the deciding algorithm, -1 when none */
    int check_rc;          /* sg_integrity__check's result over "abc" (when parsed) */
} parse_case;

static const parse_case cases[] = {
    /* one hash per algorithm */
    {"sha512-" SHA512_ABC, NULL, 0, 1, SG_SRI_SHA512, 0},
    {"sha384-" SHA384_ABC, NULL, 0, 1, SG_SRI_SHA384, 0},
    {"sha256-" SHA256_ABC, NULL, 0, 1, SG_SRI_SHA256, 0},
    {"sha1-" SHA1_ABC, NULL, 0, 1, SG_SRI_SHA1, 0},
    /* several hashes: the strongest decides, a weaker wrong one does not matter */
    {"sha1-" SHA1_ABC " sha512-" SHA512_ABC, NULL, 0, 2, SG_SRI_SHA512, 0},
    {"sha1-AAAA sha512-" SHA512_ABC, NULL, 0, 2, SG_SRI_SHA512, 0},
    {"sha512-" SHA512_ABC " sha1-AAAA", NULL, 0, 2, SG_SRI_SHA512, 0},
    /* ... any listed value of the strongest algorithm may match */
    {"sha512-" SHA512_OTHER " sha512-" SHA512_ABC, NULL, 0, 2, SG_SRI_SHA512, 0},
    /* ... and a wrong strongest one fails even when a weaker one is right */
    {"sha1-" SHA1_ABC " sha512-" SHA512_OTHER, NULL, 0, 2, SG_SRI_SHA512, SG_EINTEGRITY},
    /* blanks of any kind separate, options after '?' are ignored */
    {"\t sha256-" SHA256_ABC "?foo\n sha1-" SHA1_ABC "\r\n", NULL, 0, 2, SG_SRI_SHA256, 0},
    /* unknown algorithms and malformed tokens are skipped */
    {"md5-kAFQmDzST7DWlj99KOF/cg== sha256-" SHA256_ABC, NULL, 0, 1, SG_SRI_SHA256, 0},
    {"sha512 sha512- -" SHA1_ABC " sha256-" SHA256_ABC, NULL, 0, 1, SG_SRI_SHA256, 0},
    /* bad base64 characters: the token is skipped, nothing is left */
    {"sha512-not*base64!", NULL, SG_EINVALID, 0, -1, 0},
    {"sha512-not*base64! sha1-" SHA1_ABC, NULL, 0, 1, SG_SRI_SHA1, 0},
    /* base64 of the wrong length parses and then fails the comparison */
    {"sha512-AAAA", NULL, 0, 1, SG_SRI_SHA512, SG_EINTEGRITY},
    {"sha1-" SHA1_ABC "AA", NULL, 0, 1, SG_SRI_SHA1, SG_EINTEGRITY},
    /* a mismatch */
    {"sha512-" SHA512_OTHER, NULL, 0, 1, SG_SRI_SHA512, SG_EINTEGRITY},
    /* shasum: any case, checked besides the SRI string */
    {NULL, SHA1_HEX_ABC, 0, 0, -1, 0},
    {NULL, "A9993E364706816ABA3E25717850C26C9CD0D89D", 0, 0, -1, 0},
    {"sha512-" SHA512_ABC, SHA1_HEX_ABC, 0, 1, SG_SRI_SHA512, 0},
    {"sha512-" SHA512_ABC, "0000000000000000000000000000000000000000", 0, 1, SG_SRI_SHA512,
     SG_EINTEGRITY},
    {"", "0000000000000000000000000000000000000000", 0, 0, -1, SG_EINTEGRITY},
    /* malformed shasum */
    {NULL, "a9993e36", SG_EINVALID, 0, -1, 0},
    {NULL, "g9993e364706816aba3e25717850c26c9cd0d89d", SG_EINVALID, 0, -1, 0},
    {"sha512-" SHA512_ABC, SHA1_HEX_ABC "0", SG_EINVALID, 0, -1, 0},
    /* nothing checkable */
    {NULL, NULL, SG_EINVALID, 0, -1, 0},
    {"", "", SG_EINVALID, 0, -1, 0},
    {"md5-kAFQmDzST7DWlj99KOF/cg==", NULL, SG_EINVALID, 0, -1, 0},
};

static void test_integrity__parse_and_check_cases(void **state)
{
    fx *f = *state;
    size_t i;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const parse_case *c = &cases[i];
        sg_sri_expect e;
        int rc;
        print_message("case %zu: '%s' / '%s'\n", i, c->integrity ? c->integrity : "(null)",
                      c->shasum ? c->shasum : "(null)");
        sg_error_clear(f->ctx);
        rc = sg_integrity__parse(&e, f->ctx, c->integrity, c->shasum, "https://r.example/x.tgz");
        assert_int_equal(rc, c->parse_rc);
        if (rc < 0) {
            assert_non_null(strstr(sg_error_message(f->ctx), "https://r.example/x.tgz"));
            continue;
        }
        assert_int_equal(e.nhashes, c->nhashes);
        assert_int_equal(e.strongest, c->strongest);
        rc = check_abc(f, &e);
        assert_int_equal(rc, c->check_rc);
        if (rc < 0)
            assert_non_null(strstr(sg_error_message(f->ctx), "mismatch for tarball"));
    }
}

static void test_integrity__mismatch_message_names_both_values(void **state)
{
    fx *f = *state;
    sg_sri_expect e;
    assert_int_equal(sg_integrity__parse(&e, f->ctx, "sha512-" SHA512_OTHER, NULL, "T"), 0);
    assert_int_equal(check_abc(f, &e), SG_EINTEGRITY);
    assert_string_equal(sg_error_message(f->ctx),
                        "integrity mismatch for tarball 'https://r.example/x.tgz': expected "
                        "sha512-" SHA512_OTHER ", got sha512-" SHA512_ABC);
    sg_error_clear(f->ctx); /* the first error sticks */
    assert_int_equal(
        sg_integrity__parse(&e, f->ctx, NULL, "0000000000000000000000000000000000000000", "T"), 0);
    assert_int_equal(check_abc(f, &e), SG_EINTEGRITY);
    assert_string_equal(sg_error_message(f->ctx),
                        "shasum mismatch for tarball 'https://r.example/x.tgz': expected sha1 "
                        "0000000000000000000000000000000000000000, got sha1 " SHA1_HEX_ABC);
}

static void test_integrity__shasum_is_lowercased(void **state)
{
    fx *f = *state;
    sg_sri_expect e;
    assert_int_equal(
        sg_integrity__parse(&e, f->ctx, NULL, "A9993E364706816ABA3E25717850C26C9CD0D89D", "T"), 0);
    assert_string_equal(e.shasum, SHA1_HEX_ABC);
}

static void test_integrity__too_many_hashes_are_bounded(void **state)
{
    fx *f = *state;
    sg_sri_expect e;
    sg_buf sri = SG_BUF_INIT;
    size_t i;
    for (i = 0; i < SG_SRI_MAX_HASHES + 4; i++)
        sg_buf_puts(&sri, "sha1-" SHA1_ABC " ");
    sg_buf_puts(&sri, "sha512-" SHA512_ABC);
    assert_int_equal(sri.error, 0);
    assert_int_equal(sg_integrity__parse(&e, f->ctx, sri.ptr, NULL, "T"), 0);
    sg_buf_dispose(&sri);
    assert_int_equal(e.nhashes, SG_SRI_MAX_HASHES);
    assert_int_equal(e.strongest, SG_SRI_SHA1); /* the later ones were not kept */
}

static void test_integrity__base64_decode(void **state)
{
    unsigned char out[64];
    (void)state;
    assert_int_equal(sg_integrity__b64_decode(out, sizeof(out), SHA1_ABC), 20);
    assert_int_equal(out[0], 0xa9);
    assert_int_equal(out[19], 0x9d);
    assert_int_equal(sg_integrity__b64_decode(out, sizeof(out), SHA512_ABC), 64);
    assert_int_equal(out[0], 0xdd);
    /* padding is optional */
    assert_int_equal(sg_integrity__b64_decode(out, sizeof(out), "qZk+NkcGgWq6PiVxeFDCbJzQ2J0"), 20);
    assert_int_equal(sg_integrity__b64_decode(out, sizeof(out), ""), 0);
    /* not base64 */
    assert_int_equal(sg_integrity__b64_decode(out, sizeof(out), "qZk*"), -1);
    assert_int_equal(sg_integrity__b64_decode(out, sizeof(out), "qZk-NkcG"), -1);
    /* longer than the output */
    assert_int_equal(sg_integrity__b64_decode(out, 19, SHA1_ABC), -1);
}

static void test_integrity__public_sha512(void **state)
{
    fx *f = *state;
    sg_buf b = SG_BUF_INIT;
    assert_int_equal(sg_integrity_sha512(&b, f->ctx, (const unsigned char *)"abc", 3), 0);
    assert_string_equal(b.ptr, "sha512-" SHA512_ABC);
    sg_buf_dispose(&b);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_integrity__parse_and_check_cases),
        T(test_integrity__mismatch_message_names_both_values),
        T(test_integrity__shasum_is_lowercased),
        T(test_integrity__too_many_hashes_are_bounded),
        T(test_integrity__base64_decode),
        T(test_integrity__public_sha512),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
