/* tests/unit/test_tls.c: daemon/tls.c's pure parts and its files. The tokens file as the API
 * server's --token-auth-file has it (one row per line shape, good and bad), the lookup of a
 * token, a token user's role (access.c), the SANs asked of the serving certificate, and
 * tls_files_load() on a directory of the test's own: made once with 0600 keys, kept, and the
 * serving certificate made again for a listen address it does not cover.
 */
#include "check_main.h"
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <time.h>

#include "access.h"
#include "tls.h"
#include "util/util.h"

static const struct {
	const char *name;
	const char *text;
	int rc;
	size_t n;
	const char *user, *uid, *groups; /* the first line's; groups joined by "," */
} parse_cases[] = {
        {"groups quoted", "tok1,admin,0,\"system:masters,dev\"\n", 0, 1, "admin", "0",
         "system:masters,dev"},
        {"one group unquoted", "tok1,bob,1001,nanolet:readers", 0, 1, "bob", "1001",
         "nanolet:readers"},
        {"no groups", "tok1,carol,1002\n", 0, 1, "carol", "1002", ""},
        {"comments, blank lines, CRLF", "# who\n\ntok1,dave,7,\"a\"\r\ntok2,erin,8\n", 0, 2, "dave",
         "7", "a"},
        {"empty file", "", 0, 0, NULL, NULL, NULL},
        {"no uid", "tok1,frank\n", -EINVAL, 0, NULL, NULL, NULL},
        {"no user", "tok1,,3\n", -EINVAL, 0, NULL, NULL, NULL},
        {"no token", ",gina,3\n", -EINVAL, 0, NULL, NULL, NULL},
        {"quote not closed", "tok1,hank,4,\"a,b\n", -EINVAL, 0, NULL, NULL, NULL},
        {"a second line bad", "tok1,ivy,5\njunk\n", -EINVAL, 0, NULL, NULL, NULL},
};

START_TEST(tokens_file_lines)
{
	struct tokens t;
	struct nano_err err = {0};
	int r = tokens_parse(parse_cases[_i].text, &t, &err);

	ck_assert_msg(r == parse_cases[_i].rc, "%s: %d", parse_cases[_i].name, r);
	if (r < 0) {
		ck_assert_ptr_nonnull(strstr(err.message, "line "));
		/* the message never carries the line itself: it holds a token */
		ck_assert_ptr_null(strstr(err.message, "tok1"));
		nano_err_clear(&err);
		return;
	}
	ck_assert_uint_eq(t.n, parse_cases[_i].n);
	if (t.n > 0) {
		_cleanup_free_ char *groups = strv_join(t.users[0].groups, ",");

		ck_assert_str_eq(t.users[0].name, parse_cases[_i].user);
		ck_assert_str_eq(t.users[0].uid, parse_cases[_i].uid);
		ck_assert_str_eq(groups ? groups : "", parse_cases[_i].groups);
	}
	tokens_done(&t);
}
END_TEST

START_TEST(token_lookup)
{
	struct tokens t;
	struct nano_err err = {0};

	ck_assert_int_eq(tokens_parse("aaaa,one,1\nbbbb,two,2\n", &t, &err), 0);
	ck_assert_str_eq(tokens_find(&t, "bbbb")->name, "two");
	ck_assert_str_eq(tokens_find(&t, "aaaa")->name, "one");
	ck_assert_ptr_null(tokens_find(&t, "bbb"));
	ck_assert_ptr_null(tokens_find(&t, "bbbbb"));
	ck_assert_ptr_null(tokens_find(&t, "aaab"));
	ck_assert_ptr_null(tokens_find(&t, ""));
	ck_assert_ptr_null(tokens_find(&t, NULL));
	tokens_done(&t);
}
END_TEST

static const struct {
	const char *line;
	enum access_role role;
} role_cases[] = {
        {"t,admin,0,\"system:masters\"", ACCESS_WRITE},
        {"t,both,0,\"nanolet:readers,system:masters\"", ACCESS_WRITE},
        {"t,reader,0,\"dev,nanolet:readers\"", ACCESS_READ},
        {"t,nobody,0,\"system:master\"", ACCESS_NONE},
        {"t,nogroups,0", ACCESS_NONE},
};

START_TEST(token_roles)
{
	struct tokens t;
	struct nano_err err = {0};
	struct token_user *copy;

	ck_assert_int_eq(tokens_parse(role_cases[_i].line, &t, &err), 0);
	ck_assert_int_eq(access_role_of_token(&t.users[0]), role_cases[_i].role);
	/* what the audit record keeps: the same user, without its token */
	copy = token_user_identity(&t.users[0]);
	ck_assert_ptr_nonnull(copy);
	ck_assert_ptr_null(copy->token);
	ck_assert_str_eq(copy->name, t.users[0].name);
	ck_assert_int_eq(access_role_of_token(copy), role_cases[_i].role);
	token_user_free(copy);
	tokens_done(&t);
}
END_TEST

START_TEST(sans_of_a_listener)
{
	struct config_listen l;
	_cleanup_strv_ char **v4 = NULL, **any = NULL;
	_cleanup_free_ char *a = NULL, *b = NULL;

	ck_assert_int_eq(config_listen_parse("192.0.2.5:6443", &l), 0);
	v4 = tls_sans("node1", &l);
	a = strv_join(v4, ",");
	ck_assert_str_eq(a, "node1,localhost,127.0.0.1,::1,192.0.2.5");
	/* every address is no name a client connects to */
	ck_assert_int_eq(config_listen_parse("[::]:6443", &l), 0);
	any = tls_sans("node1", &l);
	b = strv_join(any, ",");
	ck_assert_str_eq(b, "node1,localhost,127.0.0.1,::1");
	/* a hostname no certificate can name is left out, not refused */
	strv_free(any);
	any = tls_sans("my_node", &l);
	free(b);
	b = strv_join(any, ",");
	ck_assert_str_eq(b, "localhost,127.0.0.1,::1");
}
END_TEST

static char dir[] = "/tmp/nanolet-test-tls-XXXXXX";

static char *slurp(const char *name)
{
	_cleanup_free_ char *path = strdupf("%s/%s", dir, name);
	char *text = NULL;

	ck_assert_int_eq(util_read_file_at(AT_FDCWD, path, &text), 0);
	return text;
}

static unsigned mode_of(const char *name)
{
	_cleanup_free_ char *path = strdupf("%s/%s", dir, name);
	struct stat st;

	ck_assert_int_eq(stat(path, &st), 0);
	return st.st_mode & 07777;
}

START_TEST(files_made_once_and_kept)
{
	struct config_listen l;
	struct pki_pair serving = {0};
	struct tokens tokens = {0};
	struct nano_err err = {0};
	_cleanup_free_ char *ca1 = NULL, *serving1 = NULL, *tokens1 = NULL, *ca2 = NULL,
	                    *serving2 = NULL, *tokens2 = NULL, *ca3 = NULL, *serving3 = NULL;
	char *lo[] = {"127.0.0.1", "localhost", "node1", NULL}, *other[] = {"127.0.0.3", NULL};

	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_int_eq(config_listen_parse("127.0.0.1:6443", &l), 0);
	ck_assert_int_eq(tls_files_load(dir, "node1", &l, &serving, &tokens, &err), 0);
	ck_assert_uint_eq(tokens.n, 1);
	ck_assert_str_eq(tokens.users[0].name, "admin");
	ck_assert_str_eq(tokens.users[0].groups[0], "system:masters");
	ck_assert_uint_eq(strlen(tokens.users[0].token), 64);
	ck_assert(pki_covers(serving.cert, lo));
	ck_assert_uint_eq(mode_of("pki"), 0700);
	ck_assert_uint_eq(mode_of("pki/ca.key"), 0600);
	ck_assert_uint_eq(mode_of("pki/serving.key"), 0600);
	ck_assert_uint_eq(mode_of("tokens"), 0600);
	ca1 = slurp("pki/ca.crt");
	serving1 = slurp("pki/serving.crt");
	tokens1 = slurp("tokens");
	ck_assert_str_eq(serving1, serving.cert);
	ck_assert_int_eq(pki_verify(ca1, serving.cert, (int64_t)time(NULL)), 0);
	pki_pair_done(&serving);
	tokens_done(&tokens);

	/* a second start: everything kept */
	ck_assert_int_eq(tls_files_load(dir, "node1", &l, &serving, &tokens, &err), 0);
	ca2 = slurp("pki/ca.crt");
	serving2 = slurp("pki/serving.crt");
	tokens2 = slurp("tokens");
	ck_assert_str_eq(ca2, ca1);
	ck_assert_str_eq(serving2, serving1);
	ck_assert_str_eq(tokens2, tokens1);
	pki_pair_done(&serving);
	tokens_done(&tokens);

	/* another listen address: a new serving certificate from the same CA */
	ck_assert_int_eq(config_listen_parse("127.0.0.3:6443", &l), 0);
	ck_assert_int_eq(tls_files_load(dir, "node1", &l, &serving, &tokens, &err), 0);
	ca3 = slurp("pki/ca.crt");
	serving3 = slurp("pki/serving.crt");
	ck_assert_str_eq(ca3, ca1);
	ck_assert_str_ne(serving3, serving1);
	ck_assert(pki_covers(serving3, other));
	ck_assert_int_eq(pki_verify(ca1, serving3, (int64_t)time(NULL)), 0);
	pki_pair_done(&serving);
	tokens_done(&tokens);
	ck_assert_int_eq(rm_rf(dir), 0);
}
END_TEST

static Suite *tls_suite(void)
{
	Suite *s = suite_create("tls");
	TCase *tc = tcase_create("tls");

	tcase_add_loop_test(tc, tokens_file_lines, 0, (int)ELEMENTSOF(parse_cases));
	tcase_add_test(tc, token_lookup);
	tcase_add_loop_test(tc, token_roles, 0, (int)ELEMENTSOF(role_cases));
	tcase_add_test(tc, sans_of_a_listener);
	tcase_add_test(tc, files_made_once_and_kept);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(tls_suite());
}
