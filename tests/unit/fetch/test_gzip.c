/*
 * Tests of the gzip reading of a tarball (sg_tar__decompress in verifier/fetch/tar_npm.c): it
 * must make the bytes npm's installer makes (node-tar over Node's zlib) or refuse the tarball.
 * The expected outcomes are npm's, established by extracting the same bytes with pacote and
 * feeding them to minizlib split at every offset (the table in tar_npm.c); the gzip cases of
 * tests/integration/test_tar_differential.c run npm's reading on them again.
 */
#include "sg_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libdeflate.h>

#include "common/common.h"
#include "verifier/fetch/tar_npm_int.h"

#define FTEXT 0x01
#define FHCRC 0x02
#define FEXTRA 0x04
#define FNAME 0x08
#define FCOMMENT 0x10

/* A gzip file being built. */
typedef struct gz {
    unsigned char *p; /* bytes */
    size_t len;       /* used */
} gz;

typedef struct fx {
    sg_ctx *ctx; /* errors */
    sg_buf out;  /* what sg_tar__decompress made */
    gz in;       /* the input being built */
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    assert_int_equal(sg_ctx_new(&f->ctx), 0);
    sg_buf_init(&f->out, (size_t)-1);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    sg_buf_dispose(&f->out);
    sg_ctx_free(f->ctx);
    free(f->in.p);
    free(f);
    return 0;
}

static void put(gz *g, const void *data, size_t n)
{
    g->p = realloc(g->p, g->len + n + 1);
    assert_non_null(g->p);
    if (n)
        memcpy(g->p + g->len, data, n);
    g->len += n;
}

static void put_le(gz *g, uint32_t v, size_t n)
{
    unsigned char b[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
                          (unsigned char)(v >> 24)};
    put(g, b, n);
}

/* How a member is damaged or dressed. */
typedef struct how {
    unsigned flags;   /* FLG byte */
    unsigned method;  /* CM byte; 0: 8 */
    uint32_t crc_xor; /* flipped bits of the CRC-32 */
    uint32_t isize;   /* ISIZE written; 0: the right one */
    int bad_hcrc;     /* a wrong header CRC-16 */
} how;

/* Append one member holding `data` (n bytes), compressed at `level`. */
static void member_how(gz *g, const void *data, size_t n, int level, const how *h)
{
    struct libdeflate_compressor *c = libdeflate_alloc_compressor(level);
    size_t bound, clen, start = g->len;
    unsigned char head[10] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3};
    unsigned char *body;

    assert_non_null(c);
    head[2] = (unsigned char)(h && h->method ? h->method : 8);
    head[3] = (unsigned char)(h ? h->flags : 0);
    put(g, head, sizeof(head));
    if (head[3] & FEXTRA) {
        put_le(g, 6, 2);
        put(g, "AB\2\0hi", 6);
    }
    if (head[3] & FNAME)
        put(g, "package.tar", 12);
    if (head[3] & FCOMMENT)
        put(g, "a comment", 10);
    if (head[3] & FHCRC)
        put_le(g,
               (libdeflate_crc32(0, g->p + start, g->len - start) & 0xffff) ^
                   (h->bad_hcrc ? 0x5555u : 0u),
               2);
    bound = libdeflate_deflate_compress_bound(c, n);
    body = malloc(bound);
    assert_non_null(body);
    clen = libdeflate_deflate_compress(c, data, n, body, bound);
    assert_true(clen > 0);
    put(g, body, clen);
    put_le(g, libdeflate_crc32(0, data, n) ^ (h ? h->crc_xor : 0), 4);
    put_le(g, h && h->isize ? h->isize : (uint32_t)n, 4);
    free(body);
    libdeflate_free_compressor(c);
}

static void member(gz *g, const char *text)
{
    member_how(g, text, strlen(text), 6, NULL);
}

/* A text of n pseudo-random letters (compresses about 2:1, not more). */
static char *letters(size_t n, uint32_t seed)
{
    char *p = malloc(n + 1);
    size_t i;
    assert_non_null(p);
    for (i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        p[i] = (char)('a' + (seed >> 16) % 26);
    }
    p[n] = '\0';
    return p;
}

static int run_limit(fx *f, uint64_t limit)
{
    return sg_tar__decompress(&f->out, f->ctx, f->in.p, f->in.len, limit, SG_LIMIT_UNPACKED_BYTES);
}

static int run(fx *f)
{
    return run_limit(f, (uint64_t)1 << 30);
}

static void expect_output(fx *f, const char *text)
{
    int r = run(f);
    if (r != 0)
        fail_msg("refused: %s", sg_error_message(f->ctx));
    assert_int_equal(f->out.size, strlen(text));
    assert_memory_equal(f->out.ptr, text, strlen(text));
    assert_int_equal(f->out.ptr[f->out.size], '\0');
}

static void expect_refused(fx *f, const char *needle)
{
    const char *msg;
    assert_int_equal(run(f), SG_EINVALID);
    msg = sg_error_message(f->ctx);
    assert_non_null(strstr(msg, "cannot read gzip tarball: "));
    if (!strstr(msg, needle))
        fail_msg("message '%s' lacks '%s'", msg, needle);
    assert_null(strchr(msg, '\n'));
    sg_error_clear(f->ctx);
}

/* ---- what npm reads ------------------------------------------------------------------------ */

static void test_gzip__one_member(void **state)
{
    fx *f = *state;
    member(&f->in, "hello, tarball");
    expect_output(f, "hello, tarball");
}

static void test_gzip__members_are_concatenated(void **state)
{
    fx *f = *state;
    member(&f->in, "first ");
    member(&f->in, "");
    member(&f->in, "second ");
    member_how(&f->in, "third", 5, 0, NULL); /* stored blocks */
    expect_output(f, "first second third");
}

static void test_gzip__an_empty_member_is_empty(void **state)
{
    fx *f = *state;
    member(&f->in, "");
    expect_output(f, "");
}

static void test_gzip__zero_bytes_after_the_last_member_are_ignored(void **state)
{
    fx *f = *state;
    static const unsigned char zeros[100];
    member(&f->in, "data");
    put(&f->in, zeros, 1);
    expect_output(f, "data");
    put(&f->in, zeros, sizeof(zeros));
    expect_output(f, "data");
}

static void test_gzip__header_fields_are_skipped(void **state)
{
    fx *f = *state;
    static const unsigned flags[] = {FTEXT,    FEXTRA, FNAME,
                                     FCOMMENT, FHCRC,  FTEXT | FHCRC | FEXTRA | FNAME | FCOMMENT};
    size_t i;
    for (i = 0; i < SG_ARRAY_SIZE(flags); i++) {
        how h = {.flags = flags[i]};
        f->in.len = 0;
        member_how(&f->in, "fields", 6, 6, &h);
        expect_output(f, "fields");
    }
}

/* A member whose ISIZE hint (the input's last four bytes) is far too small: the buffer grows
 * until the data fits, and the bytes are right. */
static void test_gzip__a_small_size_hint_grows_the_buffer(void **state)
{
    fx *f = *state;
    size_t n = (size_t)3 << 20;
    char *big = calloc(1, n + 2);
    assert_non_null(big);
    memset(big, 'z', n);
    member_how(&f->in, big, n, 6, NULL); /* ~3 KiB of input for 3 MiB */
    member(&f->in, "!");                 /* the hint: 1 byte */
    big[n] = '!';
    expect_output(f, big);
    free(big);
}

/* ---- what npm refuses, or reads depending on the network: refused ------------------------- */

static void test_gzip__bytes_after_zero_padding_are_refused(void **state)
{
    fx *f = *state;
    static const unsigned char zeros[10];
    member(&f->in, "data");
    put(&f->in, zeros, sizeof(zeros));
    member(&f->in, "more"); /* npm reads it or not, depending on the chunks */
    expect_refused(f, "after zero padding");
    f->in.len = 0;
    member(&f->in, "data");
    put(&f->in, zeros, sizeof(zeros));
    put(&f->in, "garbage", 7);
    expect_refused(f, "after zero padding");
}

static void test_gzip__non_gzip_bytes_after_a_member_are_refused(void **state)
{
    fx *f = *state;
    /* a zlib stream of "x": Node's Unzip would append it */
    static const unsigned char zlib_x[] = {0x78, 0x9c, 0xab, 0x00, 0x00, 0x00, 0x79, 0x00, 0x79};
    member(&f->in, "data");
    put(&f->in, "garbage", 7);
    expect_refused(f, "are not a gzip member");
    f->in.len = 0;
    member(&f->in, "data");
    put(&f->in, zlib_x, sizeof(zlib_x));
    expect_refused(f, "are not a gzip member");
}

static void test_gzip__garbage_with_gzip_magic_after_a_member_is_refused(void **state)
{
    fx *f = *state;
    member(&f->in, "data");
    put(&f->in, "\x1f\x8bgarbage, garbage", 18);
    expect_refused(f, "unknown compression method");
    f->in.len = 0;
    member(&f->in, "data");
    put(&f->in, "\x1f\x8b\x08\x00garbage, more garbage", 25);
    expect_refused(f, "member at byte");
    f->in.len = 0;
    member(&f->in, "data");
    put(&f->in, "\x1f", 1);
    expect_refused(f, "truncated gzip header");
}

static void test_gzip__truncated_members_are_refused(void **state)
{
    fx *f = *state;
    char *text = letters(5000, 1);
    size_t full;
    member(&f->in, text);
    full = f->in.len;
    f->in.len = full / 2; /* in the deflate data */
    expect_refused(f, "corrupt or truncated deflate data");
    f->in.len = full - 3; /* in the trailer */
    expect_refused(f, "truncated");
    f->in.len = 10; /* exactly one header */
    expect_refused(f, "truncated gzip data");
    f->in.len = 2; /* the magic alone */
    expect_refused(f, "truncated gzip header");
    free(text);
}

static void test_gzip__checksum_and_length_mismatches_are_refused(void **state)
{
    fx *f = *state;
    how bad_crc = {.crc_xor = 1}, bad_isize = {.isize = 5},
        bad_hcrc = {.flags = FHCRC, .bad_hcrc = 1};
    member_how(&f->in, "checked", 7, 6, &bad_crc);
    expect_refused(f, "CRC-32 mismatch");
    f->in.len = 0;
    member_how(&f->in, "checked", 7, 6, &bad_isize);
    expect_refused(f, "length mismatch (ISIZE)");
    f->in.len = 0;
    member_how(&f->in, "checked", 7, 6, &bad_hcrc); /* libdeflate skips it; zlib checks it */
    expect_refused(f, "header checksum mismatch");
    /* in a second member too */
    f->in.len = 0;
    member(&f->in, "fine");
    member_how(&f->in, "checked", 7, 6, &bad_crc);
    expect_refused(f, "CRC-32 mismatch (member at byte");
}

static void test_gzip__reserved_flags_and_other_methods_are_refused(void **state)
{
    fx *f = *state;
    static const unsigned reserved[] = {0x20, 0x40, 0x80};
    static const unsigned methods[] = {0, 7, 9, 255};
    size_t i;
    for (i = 0; i < SG_ARRAY_SIZE(reserved); i++) {
        how h = {.flags = reserved[i]};
        f->in.len = 0;
        member_how(&f->in, "x", 1, 6, &h);
        expect_refused(f, "reserved header flags set");
    }
    /* node-tar sniffs 1f 8b only: a method other than 8 is a gzip error, not a plain tar */
    for (i = 0; i < SG_ARRAY_SIZE(methods); i++) {
        how h = {.method = methods[i] ? methods[i] : 1};
        f->in.len = 0;
        member_how(&f->in, "x", 1, 6, &h);
        expect_refused(f, "unknown compression method");
    }
}

static void test_gzip__corrupt_deflate_data_is_refused(void **state)
{
    fx *f = *state;
    static const unsigned char reserved_block[] = {0x1f, 0x8b, 8,    0, 0, 0, 0, 0,
                                                   0,    3,    0x07, /* BFINAL, BTYPE 3 */
                                                   0,    0,    0,    0, 0, 0, 0, 0};
    put(&f->in, reserved_block, sizeof(reserved_block));
    expect_refused(f, "corrupt or truncated deflate data (member at byte 0)");
}

/* Bits of a deflate stream, least significant first. */
typedef struct bits {
    gz *g;         /* where whole bytes go */
    uint32_t acc;  /* pending bits */
    unsigned nacc; /* their count */
} bits;

static void put_bits(bits *b, uint32_t v, unsigned n)
{
    b->acc |= v << b->nacc;
    b->nacc += n;
    while (b->nacc >= 8) {
        unsigned char c = (unsigned char)b->acc;
        put(b->g, &c, 1);
        b->acc >>= 8;
        b->nacc -= 8;
    }
}

/* A Huffman code: its bits go most significant first. */
static void put_code(bits *b, uint32_t code, unsigned len)
{
    while (len--)
        put_bits(b, (code >> len) & 1, 1);
}

/* A member of 1 + 258 * runs zero bytes at deflate's best ratio: one dynamic block whose
 * literal/length code is {285: 0, literal 0: 10, end: 11} and distance code {1: 0}, so each
 * 258 bytes cost 2 bits (the stream zlib's best compression approaches). */
static size_t densest_member(gz *g, size_t runs)
{
    static const unsigned char head[10] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3};
    /* code length code lengths in the format's order 16 17 18 0 8 7 9 6 10 5 11 4 12 3 13 2 14 1:
     * 18 -> 0, 1 -> 10, 2 -> 11 */
    static const unsigned clen[18] = {0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 2};
    bits b = {g, 0, 0};
    size_t i, n = 1 + 258 * runs;
    uint32_t crc = 0;
    static const unsigned char zeros[258];

    put(g, head, sizeof(head));
    put_bits(&b, 1, 1);      /* BFINAL */
    put_bits(&b, 2, 2);      /* dynamic */
    put_bits(&b, 29, 5);     /* HLIT: 286 codes */
    put_bits(&b, 0, 5);      /* HDIST: 1 code */
    put_bits(&b, 18 - 4, 4); /* HCLEN */
    for (i = 0; i < 18; i++)
        put_bits(&b, clen[i], 3);
    put_code(&b, 3, 2); /* literal 0: length 2 */
    put_code(&b, 0, 1); /* 138 zeros */
    put_bits(&b, 138 - 11, 7);
    put_code(&b, 0, 1); /* 117 zeros: up to 255 */
    put_bits(&b, 117 - 11, 7);
    put_code(&b, 3, 2); /* end of block: length 2 */
    put_code(&b, 0, 1); /* 28 zeros: 257..284 */
    put_bits(&b, 28 - 11, 7);
    put_code(&b, 2, 2); /* 285: length 1 */
    put_code(&b, 2, 2); /* distance 1: length 1 */
    put_code(&b, 2, 2); /* literal 0 */
    for (i = 0; i < runs; i++) {
        put_code(&b, 0, 1); /* length 258 */
        put_code(&b, 0, 1); /* distance 1 */
    }
    put_code(&b, 3, 2); /* end of block */
    put_bits(&b, 0, 7); /* to a byte boundary */
    b.nacc = 0;
    crc = libdeflate_crc32(crc, zeros, 1);
    for (i = 0; i < runs; i++)
        crc = libdeflate_crc32(crc, zeros, sizeof(zeros));
    put_le(g, crc, 4);
    put_le(g, (uint32_t)n, 4);
    return n;
}

/* node-tar aborts past 1000 bytes unpacked per byte read; deflate reaches 1032 */
static void test_gzip__more_than_npm_ratio_is_refused(void **state)
{
    fx *f = *state;
    size_t n = densest_member(&f->in, 32768), ratio = n / f->in.len;
    char *zeros;

    print_message("%zu zero bytes in %zu bytes of gzip: ratio %zu\n", n, f->in.len, ratio);
    assert_true(ratio > 1000);
    expect_refused(f, "more than 1000 times its size");
    /* padding that brings the ratio to 1000 is counted as npm counts it */
    zeros = calloc(1, n / 1000);
    assert_non_null(zeros);
    put(&f->in, zeros, n / 1000 + 1 - f->in.len);
    assert_int_equal(run(f), 0);
    assert_int_equal(f->out.size, n);
    assert_int_equal(memcmp(f->out.ptr, zeros, n / 1000), 0);
    free(zeros);
}

/* ---- limits and the plain path ----------------------------------------------------------- */

static void test_gzip__limit_is_the_stream_size(void **state)
{
    fx *f = *state;
    const char *msg;
    member(&f->in, "0123456789");
    member(&f->in, "abcdef");
    assert_int_equal(run_limit(f, 16), 0);
    assert_int_equal(f->out.size, 16);
    assert_int_equal(run_limit(f, 15), SG_ELIMIT);
    msg = sg_error_message(f->ctx);
    assert_non_null(strstr(msg, "tar stream exceeds limit 'unpacked-bytes'"));
    assert_int_equal(run_limit(f, 0), SG_ELIMIT);
}

/* An ISIZE claiming 4 GiB under a 1 MiB limit allocates no more than the limit allows; the
 * lie itself is refused once the data is read. */
static void test_gzip__a_lying_size_hint_stays_bounded(void **state)
{
    fx *f = *state;
    how h = {.isize = 0xffffffffu};
    member_how(&f->in, "small", 5, 6, &h);
    assert_int_equal(run_limit(f, (uint64_t)1 << 20), SG_EINVALID);
    assert_non_null(strstr(sg_error_message(f->ctx), "length mismatch (ISIZE)"));
    assert_true(f->out.asize <= ((size_t)1 << 21));
}

static void test_gzip__plain_input_is_copied(void **state)
{
    fx *f = *state;
    static const unsigned char one[] = {0x1f};
    put(&f->in, "plain tar bytes", 15);
    expect_output(f, "plain tar bytes");
    assert_int_equal(run_limit(f, 14), SG_ELIMIT);
    sg_error_clear(f->ctx);
    f->in.len = 0;
    put(&f->in, one, 1); /* too short for node-tar's sniff */
    assert_int_equal(run(f), 0);
    assert_int_equal(f->out.size, 1);
}

/* node-tar reads input that starts with zstd's magic number as zstd (on a Node that has it):
 * what npm installs from it is not the plain tar sourcegate would read, so it is refused. */
static void test_gzip__zstd_magic_is_refused(void **state)
{
    fx *f = *state;
    static const unsigned char zstd[] = {0x28, 0xb5, 0x2f, 0xfd, 'p', 'l', 'a', 'i', 'n'};
    const char *msg;
    put(&f->in, zstd, sizeof(zstd));
    assert_int_equal(run(f), SG_EINVALID);
    msg = sg_error_message(f->ctx);
    assert_non_null(strstr(msg, "zstd's magic number"));
    assert_null(strchr(msg, '\n'));
    sg_error_clear(f->ctx);
    f->in.len = 0;
    put(&f->in, zstd, 3); /* too short for node-tar's sniff: a (short) plain tar */
    assert_int_equal(run(f), 0);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_gzip__one_member),
        T(test_gzip__members_are_concatenated),
        T(test_gzip__an_empty_member_is_empty),
        T(test_gzip__zero_bytes_after_the_last_member_are_ignored),
        T(test_gzip__header_fields_are_skipped),
        T(test_gzip__a_small_size_hint_grows_the_buffer),
        T(test_gzip__bytes_after_zero_padding_are_refused),
        T(test_gzip__non_gzip_bytes_after_a_member_are_refused),
        T(test_gzip__garbage_with_gzip_magic_after_a_member_is_refused),
        T(test_gzip__truncated_members_are_refused),
        T(test_gzip__checksum_and_length_mismatches_are_refused),
        T(test_gzip__reserved_flags_and_other_methods_are_refused),
        T(test_gzip__corrupt_deflate_data_is_refused),
        T(test_gzip__more_than_npm_ratio_is_refused),
        T(test_gzip__limit_is_the_stream_size),
        T(test_gzip__a_lying_size_hint_stays_bounded),
        T(test_gzip__plain_input_is_copied),
        T(test_gzip__zstd_magic_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
