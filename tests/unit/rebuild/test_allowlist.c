/*
 * Tests of the rebuild's registry allowlist (sg_rebuild__allow_registry in
 * verifier/rebuild/rebuild_plan.c) against the install step's proxy
 * (sg_sandbox__proxy_allows in verifier/rebuild/sandbox_proxy.c): the entry made from a
 * registry URL lets through the requests a package manager sends for that registry and nothing
 * else, for IPv6 addresses, default ports, userinfo in the URL and uppercase host names. No
 * sandbox and no network needed.
 */
#include "sg_test.h"

#include <string.h>

#include "verifier/rebuild/sandbox_int.h"

/* Would the proxy, with the allowlist made from url, let this request through? */
static int allows(const sg_rebuild_allow *al, const char *method, const char *target)
{
    const char *list[SG_REBUILD_ALLOW_MAX];
    size_t i;
    for (i = 0; i < al->n; i++)
        list[i] = al->entry[i];
    return sg_sandbox__proxy_allows(list, al->n, method, target);
}

static void test_allowlist__ipv6_registry_is_reached_by_connect_and_plain_http(void **state)
{
    sg_rebuild_allow al;
    (void)state;
    sg_rebuild__allow_registry(&al, "http://[::1]:8080/");
    assert_int_equal(al.n, 1);
    assert_string_equal(al.entry[0], "::1:8080");
    assert_true(allows(&al, "CONNECT", "[::1]:8080"));
    assert_true(allows(&al, "GET", "http://[::1]:8080/some-package"));
    assert_false(allows(&al, "CONNECT", "[::1]:8081"));
    assert_false(allows(&al, "CONNECT", "[::2]:8080"));
    assert_false(allows(&al, "GET", "http://[::1]/some-package")); /* port 80 */
    assert_false(allows(&al, "CONNECT", "127.0.0.1:8080"));
}

static void test_allowlist__ipv6_registry_without_a_port_gets_the_default(void **state)
{
    sg_rebuild_allow al;
    (void)state;
    sg_rebuild__allow_registry(&al, "https://[2001:db8::7]/npm/");
    assert_int_equal(al.n, 1);
    assert_string_equal(al.entry[0], "2001:db8::7:443");
    assert_true(allows(&al, "CONNECT", "[2001:db8::7]:443"));
    assert_true(allows(&al, "CONNECT", "[2001:db8::7]"));
    assert_false(allows(&al, "CONNECT", "[2001:db8::7]:80"));
}

static void test_allowlist__default_ports_follow_the_scheme(void **state)
{
    sg_rebuild_allow al;
    (void)state;
    sg_rebuild__allow_registry(&al, "https://registry.example.com/");
    assert_int_equal(al.n, 1);
    assert_string_equal(al.entry[0], "registry.example.com:443");
    assert_true(allows(&al, "CONNECT", "registry.example.com:443"));
    assert_false(allows(&al, "CONNECT", "registry.example.com:80"));
    assert_false(allows(&al, "GET", "http://registry.example.com/pkg"));

    sg_rebuild__allow_registry(&al, "http://registry.example.com/npm/");
    assert_int_equal(al.n, 1);
    assert_string_equal(al.entry[0], "registry.example.com:80");
    assert_true(allows(&al, "GET", "http://registry.example.com/npm/pkg"));
    assert_true(allows(&al, "CONNECT", "registry.example.com:80"));
    assert_false(allows(&al, "CONNECT", "registry.example.com:443"));

    sg_rebuild__allow_registry(&al, "http://localhost:4873");
    assert_int_equal(al.n, 1);
    assert_string_equal(al.entry[0], "localhost:4873");
    assert_true(allows(&al, "GET", "http://localhost:4873/pkg"));
}

static void test_allowlist__userinfo_is_never_part_of_the_host(void **state)
{
    sg_rebuild_allow al;
    (void)state;
    sg_rebuild__allow_registry(&al, "https://user:s3cret@registry.example.com:8443/path/");
    assert_int_equal(al.n, 1);
    assert_string_equal(al.entry[0], "registry.example.com:8443");
    assert_null(strchr(al.entry[0], '@'));
    assert_null(strstr(al.entry[0], "s3cret"));
    assert_true(allows(&al, "CONNECT", "registry.example.com:8443"));
    assert_false(allows(&al, "CONNECT", "user:s3cret@registry.example.com:8443"));

    sg_rebuild__allow_registry(&al, "http://token@[::1]:8080/");
    assert_int_equal(al.n, 1);
    assert_string_equal(al.entry[0], "::1:8080");
}

static void test_allowlist__uppercase_hosts_match_any_case(void **state)
{
    sg_rebuild_allow al;
    (void)state;
    sg_rebuild__allow_registry(&al, "https://REGISTRY.Example.COM/");
    assert_int_equal(al.n, 1);
    assert_int_equal(sg_strcasecmp(al.entry[0], "registry.example.com:443"), 0);
    assert_true(allows(&al, "CONNECT", "registry.example.com:443"));
    assert_true(allows(&al, "CONNECT", "Registry.Example.Com:443"));

    /* npm's registry by any case still brings yarn's name for it. */
    sg_rebuild__allow_registry(&al, "https://Registry.NPMJS.org/");
    assert_int_equal(al.n, 2);
    assert_string_equal(al.entry[1], "registry.yarnpkg.com:443");
    assert_true(allows(&al, "CONNECT", "registry.npmjs.org:443"));
}

static void test_allowlist__npm_registry_also_allows_yarns_name_for_it(void **state)
{
    sg_rebuild_allow al;
    (void)state;
    sg_rebuild__allow_registry(&al, "https://registry.npmjs.org/");
    assert_int_equal(al.n, 2);
    assert_string_equal(al.entry[0], "registry.npmjs.org:443");
    assert_string_equal(al.entry[1], "registry.yarnpkg.com:443");
    assert_true(allows(&al, "CONNECT", "registry.yarnpkg.com:443"));
    assert_false(allows(&al, "CONNECT", "example.com:443"));
}

static void test_allowlist__unusable_urls_allow_nothing(void **state)
{
    sg_rebuild_allow al;
    (void)state;
    sg_rebuild__allow_registry(&al, "registry.example.com");
    assert_int_equal(al.n, 0);
    sg_rebuild__allow_registry(&al, "file:///srv/registry/");
    assert_int_equal(al.n, 0);
    sg_rebuild__allow_registry(&al, "");
    assert_int_equal(al.n, 0);
    assert_false(allows(&al, "CONNECT", "registry.example.com:443"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_allowlist__ipv6_registry_is_reached_by_connect_and_plain_http),
        cmocka_unit_test(test_allowlist__ipv6_registry_without_a_port_gets_the_default),
        cmocka_unit_test(test_allowlist__default_ports_follow_the_scheme),
        cmocka_unit_test(test_allowlist__userinfo_is_never_part_of_the_host),
        cmocka_unit_test(test_allowlist__uppercase_hosts_match_any_case),
        cmocka_unit_test(test_allowlist__npm_registry_also_allows_yarns_name_for_it),
        cmocka_unit_test(test_allowlist__unusable_urls_allow_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
