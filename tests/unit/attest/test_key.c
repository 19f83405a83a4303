/* Unit tests of attest/key.c and attest/key_file.c: generation, PEM, key ids, key files. */
#include "sg_test.h"

#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include "common/common.h"
#include "sourcegate/attest.h"

static char *tmp;

static int setup(void **state)
{
    (void)state;
    tmp = sgt_tmpdir();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    sgt_cleanup();
    return 0;
}

static void path_in_tmp(char *out, size_t n, const char *name)
{
    snprintf(out, n, "%s/%s", tmp, name);
}

/* The npm registry's signing key (SPKI DER, base64) and its published keyid. */
static const char npm_key_b64[] =
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE1Olb3zMAFFxXKHiIkQO5cJ3Yhl5i6UPp+IhuteBJbuHcA5UogKo0EWt"
    "lWwW6KSaKoTNEYL7JlCQiVnkhBktUgg==";
static const char npm_keyid[] = "SHA256:jl3bwswu80PjjokCgh0o2w5c2U4LhQAE57gj9cz1kzA";

static void npm_key_pem(sg_buf *pem)
{
    size_t i, n = strlen(npm_key_b64);
    sg_buf_puts(pem, "-----BEGIN PUBLIC KEY-----\n");
    for (i = 0; i < n; i += 64) {
        sg_buf_put(pem, npm_key_b64 + i, n - i < 64 ? n - i : 64);
        sg_buf_putc(pem, '\n');
    }
    sg_buf_puts(pem, "-----END PUBLIC KEY-----\n");
}

/*
 * The OpenSSH fingerprint computed here from the raw public key at the end of the SPKI DER
 * (65-byte point for P-256, 32 bytes for Ed25519), without the library.
 */
static void expected_keyid(char *out, size_t n, const sg_key *key, sg_ctx *ctx)
{
    sg_buf pem = SG_BUF_INIT;
    unsigned char *der = NULL, wire[128], digest[32], b64[64];
    size_t w = 0;
    int der_len, b64_len;
    BIO *bio;
    EVP_PKEY *pk;
    int ed = sg_key_get_type(key) == SG_KEY_ED25519;
    const char *algo = ed ? "ssh-ed25519" : "ecdsa-sha2-nistp256";
    size_t raw_len = ed ? 32 : 65;

    assert_int_equal(sg_key_public_pem(&pem, ctx, key), 0);
    bio = BIO_new_mem_buf(pem.ptr, (int)pem.size);
    pk = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
    assert_non_null(pk);
    der_len = i2d_PUBKEY(pk, &der);
    assert_true(der_len > (int)raw_len);
#define PUT_STR(s, l)                                                                          \
    do {                                                                                       \
        wire[w++] = 0;                                                                         \
        wire[w++] = 0;                                                                         \
        wire[w++] = 0;                                                                         \
        wire[w++] = (unsigned char)(l);                                                        \
        memcpy(wire + w, (s), (l));                                                            \
        w += (l);                                                                              \
    } while (0)
    PUT_STR(algo, strlen(algo));
    if (!ed)
        PUT_STR("nistp256", 8);
    PUT_STR(der + der_len - (int)raw_len, raw_len);
#undef PUT_STR
    SHA256(wire, w, digest);
    b64_len = EVP_EncodeBlock(b64, digest, 32);
    while (b64_len > 0 && b64[b64_len - 1] == '=')
        b64_len--;
    snprintf(out, n, "SHA256:%.*s", b64_len, (const char *)b64);
    OPENSSL_free(der);
    EVP_PKEY_free(pk);
    BIO_free(bio);
    sg_buf_dispose(&pem);
}

static void test_key__id_of_npm_registry_key_matches_published(void **state)
{
    sg_ctx *ctx;
    sg_buf pem = SG_BUF_INIT, id = SG_BUF_INIT;
    sg_key *key = NULL;
    (void)state;
    sg_ctx_new(&ctx);
    npm_key_pem(&pem);
    assert_int_equal(sg_key_from_public_pem(&key, ctx, pem.ptr, pem.size, "npm key"), 0);
    assert_int_equal(sg_key_get_type(key), SG_KEY_P256);
    assert_int_equal(sg_key_has_private(key), 0);
    assert_int_equal(sg_key_id(&id, ctx, key), 0);
    assert_string_equal(id.ptr, npm_keyid);
    sg_key_free(key);
    sg_buf_dispose(&pem);
    sg_buf_dispose(&id);
    sg_ctx_free(ctx);
}

static void check_generated(sg_key_type type)
{
    sg_ctx *ctx;
    sg_key *key = NULL, *priv2 = NULL, *pub = NULL;
    sg_buf id = SG_BUF_INIT, id2 = SG_BUF_INIT, id3 = SG_BUF_INIT, priv_pem = SG_BUF_INIT,
           pub_pem = SG_BUF_INIT;
    char want[128];

    sg_ctx_new(&ctx);
    assert_int_equal(sg_key_generate(&key, ctx, type), 0);
    assert_int_equal(sg_key_get_type(key), type);
    assert_int_equal(sg_key_has_private(key), 1);
    assert_int_equal(sg_key_id(&id, ctx, key), 0);
    expected_keyid(want, sizeof(want), key, ctx);
    assert_string_equal(id.ptr, want);
    assert_int_equal(strlen(id.ptr), 7 + 43); /* "SHA256:" + 43 unpadded base64 chars */

    assert_int_equal(sg_key_private_pem(&priv_pem, ctx, key, NULL, 0), 0);
    assert_non_null(strstr(priv_pem.ptr, "-----BEGIN PRIVATE KEY-----"));
    assert_int_equal(sg_key_public_pem(&pub_pem, ctx, key), 0);
    assert_non_null(strstr(pub_pem.ptr, "-----BEGIN PUBLIC KEY-----"));

    assert_int_equal(
        sg_key_from_private_pem(&priv2, ctx, priv_pem.ptr, priv_pem.size, NULL, 0, "k"), 0);
    assert_int_equal(sg_key_from_public_pem(&pub, ctx, pub_pem.ptr, pub_pem.size, "p"), 0);
    assert_int_equal(sg_key_id(&id2, ctx, priv2), 0);
    assert_int_equal(sg_key_id(&id3, ctx, pub), 0);
    assert_string_equal(id.ptr, id2.ptr);
    assert_string_equal(id.ptr, id3.ptr);
    assert_int_equal(sg_key_has_private(pub), 0);

    sg_key_free(key);
    sg_key_free(priv2);
    sg_key_free(pub);
    sg_buf_dispose(&id);
    sg_buf_dispose(&id2);
    sg_buf_dispose(&id3);
    sg_buf_dispose(&priv_pem);
    sg_buf_dispose(&pub_pem);
    sg_ctx_free(ctx);
}

static void test_key__p256_pem_round_trip_and_keyid(void **state)
{
    (void)state;
    check_generated(SG_KEY_P256);
}

static void test_key__ed25519_pem_round_trip_and_keyid(void **state)
{
    (void)state;
    check_generated(SG_KEY_ED25519);
}

static void test_key__two_keys_have_different_ids(void **state)
{
    sg_ctx *ctx;
    sg_key *a = NULL, *b = NULL;
    sg_buf ia = SG_BUF_INIT, ib = SG_BUF_INIT;
    (void)state;
    sg_ctx_new(&ctx);
    assert_int_equal(sg_key_generate(&a, ctx, SG_KEY_P256), 0);
    assert_int_equal(sg_key_generate(&b, ctx, SG_KEY_P256), 0);
    sg_key_id(&ia, ctx, a);
    sg_key_id(&ib, ctx, b);
    assert_string_not_equal(ia.ptr, ib.ptr);
    sg_key_free(a);
    sg_key_free(b);
    sg_buf_dispose(&ia);
    sg_buf_dispose(&ib);
    sg_ctx_free(ctx);
}

static void test_key__type_names_parse(void **state)
{
    sg_key_type t;
    (void)state;
    assert_int_equal(sg_key_type_parse(&t, "p256"), 0);
    assert_int_equal(t, SG_KEY_P256);
    assert_int_equal(sg_key_type_parse(&t, "Ed25519"), 0);
    assert_int_equal(t, SG_KEY_ED25519);
    assert_int_equal(sg_key_type_parse(&t, "rsa"), SG_EINVALID);
    assert_string_equal(sg_key_type_name(SG_KEY_ED25519), "ed25519");
}

static void check_unsupported(EVP_PKEY *pk)
{
    sg_ctx *ctx;
    sg_key *key = NULL;
    BIO *bio = BIO_new(BIO_s_mem());
    char *data = NULL;
    long n;
    assert_non_null(pk);
    sg_ctx_new(&ctx);
    assert_int_equal(PEM_write_bio_PUBKEY(bio, pk), 1);
    n = BIO_get_mem_data(bio, &data);
    assert_int_equal(sg_key_from_public_pem(&key, ctx, data, (size_t)n, "k"), SG_EUNSUPPORTED);
    assert_null(key);
    assert_non_null(strstr(sg_error_message(ctx), "unsupported key type"));
    BIO_free(bio);
    EVP_PKEY_free(pk);
    sg_ctx_free(ctx);
}

static void test_key__refuses_rsa_and_p384(void **state)
{
    (void)state;
    check_unsupported(EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024));
    check_unsupported(EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384"));
}

static void test_key__garbage_and_swapped_pem_are_invalid(void **state)
{
    sg_ctx *ctx;
    sg_key *key = NULL, *gen = NULL;
    sg_buf priv = SG_BUF_INIT, pub = SG_BUF_INIT;
    const char junk[] = "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n";
    (void)state;
    sg_ctx_new(&ctx);
    assert_int_equal(sg_key_from_public_pem(&key, ctx, junk, sizeof(junk) - 1, "k"), SG_EINVALID);
    sg_error_clear(ctx);
    assert_int_equal(sg_key_from_private_pem(&key, ctx, "hello", 5, NULL, 0, "k"), SG_EINVALID);
    sg_error_clear(ctx);
    assert_int_equal(sg_key_generate(&gen, ctx, SG_KEY_ED25519), 0);
    sg_key_private_pem(&priv, ctx, gen, NULL, 0);
    sg_key_public_pem(&pub, ctx, gen);
    /* a private key where a public one is expected, and the other way round */
    assert_int_equal(sg_key_from_public_pem(&key, ctx, priv.ptr, priv.size, "k"), SG_EINVALID);
    assert_non_null(strstr(sg_error_message(ctx), "private key"));
    sg_error_clear(ctx);
    assert_int_equal(sg_key_from_private_pem(&key, ctx, pub.ptr, pub.size, NULL, 0, "k"),
                     SG_EINVALID);
    assert_non_null(strstr(sg_error_message(ctx), "public key"));
    assert_null(key);
    sg_key_free(gen);
    sg_buf_dispose(&priv);
    sg_buf_dispose(&pub);
    sg_ctx_free(ctx);
}

static void test_key__encrypted_pem_needs_the_right_passphrase(void **state)
{
    sg_ctx *ctx;
    sg_key *key = NULL, *back = NULL;
    sg_buf pem = SG_BUF_INIT, id = SG_BUF_INIT, id2 = SG_BUF_INIT;
    const unsigned char pass[] = "correct horse";
    (void)state;
    sg_ctx_new(&ctx);
    assert_int_equal(sg_key_generate(&key, ctx, SG_KEY_P256), 0);
    assert_int_equal(sg_key_private_pem(&pem, ctx, key, pass, sizeof(pass) - 1), 0);
    assert_non_null(strstr(pem.ptr, "BEGIN ENCRYPTED PRIVATE KEY"));

    assert_int_equal(sg_key_from_private_pem(&back, ctx, pem.ptr, pem.size, NULL, 0, "k"),
                     SG_EINVALID);
    assert_non_null(strstr(sg_error_message(ctx), "encrypted and no passphrase"));
    sg_error_clear(ctx);
    assert_int_equal(sg_key_from_private_pem(&back, ctx, pem.ptr, pem.size,
                                             (const unsigned char *)"wrong", 5, "k"),
                     SG_EINVALID);
    assert_non_null(strstr(sg_error_message(ctx), "wrong passphrase"));
    sg_error_clear(ctx);
    assert_int_equal(
        sg_key_from_private_pem(&back, ctx, pem.ptr, pem.size, pass, sizeof(pass) - 1, "k"), 0);
    sg_key_id(&id, ctx, key);
    sg_key_id(&id2, ctx, back);
    assert_string_equal(id.ptr, id2.ptr);
    /* an empty passphrase is refused when encrypting */
    assert_int_equal(sg_key_private_pem(&pem, ctx, key, pass, 0), SG_EINVALID);
    sg_key_free(key);
    sg_key_free(back);
    sg_buf_dispose(&pem);
    sg_buf_dispose(&id);
    sg_buf_dispose(&id2);
    sg_ctx_free(ctx);
}

static void test_key__public_path_beside_private(void **state)
{
    sg_buf b = SG_BUF_INIT;
    (void)state;
    sg_key_public_path(&b, "dir/key.pem");
    assert_string_equal(b.ptr, "dir/key.pub.pem");
    sg_buf_clear(&b);
    sg_key_public_path(&b, "signing");
    assert_string_equal(b.ptr, "signing.pub.pem");
    sg_buf_clear(&b);
    sg_key_public_path(&b, ".pem");
    assert_string_equal(b.ptr, ".pem.pub.pem");
    sg_buf_dispose(&b);
}

static void test_key__save_writes_0600_and_refuses_overwrite(void **state)
{
    sg_ctx *ctx;
    sg_key *key = NULL, *loaded = NULL, *pub = NULL;
    char path[4096], pubp[4096];
    struct stat st;
    sg_buf a = SG_BUF_INIT, b = SG_BUF_INIT;
    size_t len;
    char *before;
    (void)state;
    sg_ctx_new(&ctx);
    umask(022);
    path_in_tmp(path, sizeof(path), "save.pem");
    path_in_tmp(pubp, sizeof(pubp), "save.pub.pem");
    assert_int_equal(sg_key_generate(&key, ctx, SG_KEY_ED25519), 0);
    assert_int_equal(sg_key_save(ctx, key, path, 0, NULL, 0), 0);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(stat(pubp, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0644);

    assert_int_equal(sg_key_load_private(&loaded, ctx, path, NULL), 0);
    assert_int_equal(sg_key_load_public(&pub, ctx, pubp), 0);
    sg_key_id(&a, ctx, loaded);
    sg_key_id(&b, ctx, pub);
    assert_string_equal(a.ptr, b.ptr);

    /* a second save without force changes nothing */
    before = sgt_read_file(path, &len);
    sg_key_free(loaded);
    loaded = NULL;
    assert_int_equal(sg_key_generate(&loaded, ctx, SG_KEY_ED25519), 0);
    assert_int_equal(sg_key_save(ctx, loaded, path, 0, NULL, 0), SG_EINVALID);
    assert_non_null(strstr(sg_error_message(ctx), "already exists"));
    sg_error_clear(ctx);
    {
        size_t len2;
        char *after = sgt_read_file(path, &len2);
        assert_int_equal(len, len2);
        assert_memory_equal(before, after, len);
        free(after);
    }
    /* only the public file existing is enough to refuse */
    unlink(path);
    assert_int_equal(sg_key_save(ctx, loaded, path, 0, NULL, 0), SG_EINVALID);
    assert_int_equal(stat(path, &st), -1);
    /* force replaces both */
    assert_int_equal(sg_key_save(ctx, loaded, path, SG_KEY_SAVE_FORCE, NULL, 0), 0);
    {
        size_t len2;
        char *after = sgt_read_file(path, &len2);
        assert_true(len != len2 || memcmp(before, after, len) != 0);
        free(after);
    }
    free(before);
    sg_key_free(key);
    sg_key_free(loaded);
    sg_key_free(pub);
    sg_buf_dispose(&a);
    sg_buf_dispose(&b);
    sg_ctx_free(ctx);
}

static void test_key__save_force_replaces_symlink_without_following(void **state)
{
    sg_ctx *ctx;
    sg_key *key = NULL;
    char path[4096], victim[4096];
    struct stat st;
    size_t len;
    char *v;
    (void)state;
    sg_ctx_new(&ctx);
    path_in_tmp(path, sizeof(path), "link.pem");
    path_in_tmp(victim, sizeof(victim), "victim.txt");
    sgt_write_file(victim, "keep me", 7, 0644);
    assert_int_equal(symlink(victim, path), 0);
    assert_int_equal(sg_key_generate(&key, ctx, SG_KEY_P256), 0);
    assert_int_equal(sg_key_save(ctx, key, path, 0, NULL, 0), SG_EINVALID);
    sg_error_clear(ctx);
    assert_int_equal(sg_key_save(ctx, key, path, SG_KEY_SAVE_FORCE, NULL, 0), 0);
    v = sgt_read_file(victim, &len);
    assert_int_equal(len, 7);
    assert_memory_equal(v, "keep me", 7);
    free(v);
    assert_int_equal(lstat(path, &st), 0);
    assert_true(S_ISREG(st.st_mode));
    sg_key_free(key);
    sg_ctx_free(ctx);
}

static void test_key__refuses_private_key_readable_by_others(void **state)
{
    sg_ctx *ctx;
    sg_key *key = NULL, *loaded = NULL;
    sg_key_load_opts lo = SG_KEY_LOAD_OPTS_INIT;
    char path[4096];
    (void)state;
    sg_ctx_new(&ctx);
    path_in_tmp(path, sizeof(path), "perm.pem");
    assert_int_equal(sg_key_generate(&key, ctx, SG_KEY_P256), 0);
    assert_int_equal(sg_key_save(ctx, key, path, SG_KEY_SAVE_FORCE, NULL, 0), 0);

    assert_int_equal(chmod(path, 0644), 0);
    assert_int_equal(sg_key_load_private(&loaded, ctx, path, NULL), SG_EINVALID);
    assert_non_null(strstr(sg_error_message(ctx), "group or others"));
    assert_null(loaded);
    sg_error_clear(ctx);
    assert_int_equal(chmod(path, 0640), 0);
    assert_int_equal(sg_key_load_private(&loaded, ctx, path, NULL), SG_EINVALID);
    sg_error_clear(ctx);
    assert_int_equal(chmod(path, 0602), 0);
    assert_int_equal(sg_key_load_private(&loaded, ctx, path, NULL), SG_EINVALID);
    sg_error_clear(ctx);

    lo.allow_insecure_perms = 1;
    assert_int_equal(sg_key_load_private(&loaded, ctx, path, &lo), 0);
    sg_key_free(loaded);
    loaded = NULL;
    assert_int_equal(chmod(path, 0400), 0);
    assert_int_equal(sg_key_load_private(&loaded, ctx, path, NULL), 0);
    assert_int_equal(sg_key_has_private(loaded), 1);
    sg_key_free(loaded);
    sg_key_free(key);
    sg_ctx_free(ctx);
}

static void test_key__load_encrypted_file_with_passphrase(void **state)
{
    sg_ctx *ctx;
    sg_key *key = NULL, *loaded = NULL;
    sg_key_load_opts lo = SG_KEY_LOAD_OPTS_INIT;
    char path[4096];
    size_t len;
    char *text;
    (void)state;
    sg_ctx_new(&ctx);
    path_in_tmp(path, sizeof(path), "enc.pem");
    assert_int_equal(sg_key_generate(&key, ctx, SG_KEY_ED25519), 0);
    assert_int_equal(
        sg_key_save(ctx, key, path, SG_KEY_SAVE_FORCE, (const unsigned char *)"s3cret", 6), 0);
    text = sgt_read_file(path, &len);
    assert_non_null(strstr(text, "ENCRYPTED PRIVATE KEY"));
    free(text);
    assert_int_equal(sg_key_load_private(&loaded, ctx, path, &lo), SG_EINVALID);
    sg_error_clear(ctx);
    lo.passphrase = (const unsigned char *)"s3cret";
    lo.passphrase_len = 6;
    assert_int_equal(sg_key_load_private(&loaded, ctx, path, &lo), 0);
    assert_int_equal(sg_key_get_type(loaded), SG_KEY_ED25519);
    sg_key_free(loaded);
    sg_key_free(key);
    sg_ctx_free(ctx);
}

static void test_key__load_missing_and_non_regular_files(void **state)
{
    sg_ctx *ctx;
    sg_key *key = NULL;
    char path[4096];
    (void)state;
    sg_ctx_new(&ctx);
    path_in_tmp(path, sizeof(path), "nope.pem");
    assert_int_equal(sg_key_load_public(&key, ctx, path), SG_ENOTFOUND);
    sg_error_clear(ctx);
    assert_int_equal(sg_key_load_public(&key, ctx, tmp), SG_EINVALID); /* a folder */
    sg_error_clear(ctx);
    {
        char big[4096];
        unsigned char *blob = calloc(1, 70000);
        memset(blob, 'A', 70000);
        path_in_tmp(big, sizeof(big), "big.pem");
        sgt_write_file(big, blob, 70000, 0600);
        free(blob);
        assert_int_equal(sg_key_load_public(&key, ctx, big), SG_ELIMIT);
    }
    assert_null(key);
    sg_ctx_free(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key__id_of_npm_registry_key_matches_published),
        cmocka_unit_test(test_key__p256_pem_round_trip_and_keyid),
        cmocka_unit_test(test_key__ed25519_pem_round_trip_and_keyid),
        cmocka_unit_test(test_key__two_keys_have_different_ids),
        cmocka_unit_test(test_key__type_names_parse),
        cmocka_unit_test(test_key__refuses_rsa_and_p384),
        cmocka_unit_test(test_key__garbage_and_swapped_pem_are_invalid),
        cmocka_unit_test(test_key__encrypted_pem_needs_the_right_passphrase),
        cmocka_unit_test(test_key__public_path_beside_private),
        cmocka_unit_test(test_key__save_writes_0600_and_refuses_overwrite),
        cmocka_unit_test(test_key__save_force_replaces_symlink_without_following),
        cmocka_unit_test(test_key__refuses_private_key_readable_by_others),
        cmocka_unit_test(test_key__load_encrypted_file_with_passphrase),
        cmocka_unit_test(test_key__load_missing_and_non_regular_files),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
