/* Recognizing comment stripping at publish (diff/comments.c). */
#include "sg_test.h"

#include <string.h>

#include "common/common.h"
#include "diff/diff_int.h"

static int stripped(const char *src, const char *art)
{
    return sg_diff__only_comments_removed(src, strlen(src), art, strlen(art));
}

static const char *SRC = "import x from 'y'\n"
                         "\n"
                         "// It is best to make fewer, larger requests\n"
                         "/**\n"
                         " * Pool of random bytes.\n"
                         " */\n"
                         "let pool = x(1) // a trailing note\n"
                         "  /* one line */\n"
                         "export { pool }\n";

static void test_comments__whole_line_comments_and_blank_lines_removed(void **state)
{
    (void)state;
    assert_true(stripped(SRC, "import x from 'y'\nlet pool = x(1) // a trailing note\n"
                              "export { pool }\n"));
    /* CRLF source, LF artifact */
    assert_true(stripped("a()\r\n// c\r\nb()\r\n", "a()\nb()\n"));
}

static void test_comments__any_added_or_changed_line_is_not_explained(void **state)
{
    (void)state;
    /* an appended payload */
    assert_false(stripped(SRC, "import x from 'y'\nlet pool = x(1) // a trailing note\n"
                               "export { pool }\nfetch('https://evil')\n"));
    /* a line changed */
    assert_false(stripped(SRC, "import x from 'y'\nlet pool = x(2) // a trailing note\n"
                               "export { pool }\n"));
    /* a trailing comment cut from a code line is a changed line, not a removed one */
    assert_false(stripped(SRC, "import x from 'y'\nlet pool = x(1)\nexport { pool }\n"));
    /* a code line removed */
    assert_false(stripped(SRC, "import x from 'y'\nexport { pool }\n"));
    /* reordered */
    assert_false(stripped("a()\n// c\nb()\n", "b()\na()\n"));
    /* code after a block comment's end on its line must stay */
    assert_false(stripped("/* c\n */ evil()\nb()\n", "b()\n"));
    /* identical input is not "stripped" */
    assert_false(stripped("a()\n", "a()\n"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_comments__whole_line_comments_and_blank_lines_removed),
        cmocka_unit_test(test_comments__any_added_or_changed_line_is_not_explained),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
