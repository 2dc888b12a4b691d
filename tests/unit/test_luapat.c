/*
 * test_luapat.c: the sandbox's pattern functions (luapat.c behind rules.c)
 * against Lua's own string library, case by case: hand-picked cases for
 * every pattern feature and error, then 3000 random subjects and patterns
 * (fixed seed). Each case runs in a plain Lua state with the real library
 * and, as a rule's top-level code, in the sandbox; results and error
 * messages must be identical.
 */
#include "testkit.h"
#include <lauxlib.h>
#include <lualib.h>
#include "buf.h"
#include "rules.h"

/* Shared by both sides: results as text, errors included. */
#define PRELUDE \
	"local function ser(ok, ...)\n" \
	"  local t = {tostring(ok)}\n" \
	"  for i = 1, select('#', ...) do local v = select(i, ...)\n" \
	"    t[#t + 1] = type(v) .. ':' .. tostring(v) end\n" \
	"  return table.concat(t, '|')\n" \
	"end\n" \
	"local function gm(s, p)\n" \
	"  local out, it = {}, string.gmatch(s, p)\n" \
	"  for n = 1, 40 do\n" \
	"    local r = table.pack(pcall(it))\n" \
	"    out[#out + 1] = ser(table.unpack(r, 1, r.n))\n" \
	"    if not r[1] or r[2] == nil then break end\n" \
	"  end\n" \
	"  return table.concat(out, ';')\n" \
	"end\n" \
	"local function fn(...) return ser(true, ...) end\n" \
	"local tbl = {a = 'A', ab = false, b = 1}\n"

typedef struct { const char *s, *p; } pcase;

/* The expression each operation is checked with; %s is the subject and
 * pattern as Lua literals. */
static const char *const ops[] = {
	"ser(pcall(string.find, %s, %s))",
	"ser(pcall(string.find, %s, %s, 2))",
	"ser(pcall(string.find, %s, %s, -3))",
	"ser(pcall(string.find, %s, %s, 1, true))",
	"ser(pcall(string.match, %s, %s))",
	"ser(pcall(string.match, %s, %s, 3))",
	"gm(%s, %s)",
	"ser(pcall(string.gsub, %s, %s, '<%%1>'))",
	"ser(pcall(string.gsub, %s, %s, '[%%0]%%%%', 2))",
	"ser(pcall(string.gsub, %s, %s, fn))",
	"ser(pcall(string.gsub, %s, %s, tbl))",
	"ser(pcall(string.gsub, %s, %s, '%%2'))",
	"ser(pcall(string.gsub, %s, %s, '%%x'))",
};
#define NOPS (int)(sizeof ops / sizeof *ops)

static const pcase fixed[] = {
	{"hello world", "o"}, {"hello world", "l+"}, {"hello world", "^h"}, {"hello world", "d$"},
	{"hello world", "(h)(e)"}, {"hello world", "()ll()"}, {"hello", ""}, {"", ""}, {"", "a*"},
	{"abc", "^$"}, {"a$b", "$b"}, {"a^b", "a^"}, {"key = value", "(%w+)%s*=%s*(%w+)"},
	{"THE (quick) fox", "%((%a+)%)"}, {"f(a(b)c)d", "%b()"}, {"x[[y]]z", "%b[]"},
	{"THE (quick) fox", "%f[%a]%a+"}, {"aaa", "a-b"}, {"aaab", "a-b"}, {"aaab", "a*?"},
	{"abab", "(ab)%1"}, {"abcabc", "(a)(b)(c)%3"}, {"x=1, y=22", "(%a)=(%d+)"},
	{"0x1F ff", "%x+"}, {"a.b", "%."}, {"a]b", "[]]"}, {"a-b", "[a-]"}, {"a^b", "[%^]"},
	{"a^b", "[^^]"}, {"abc", "[^%a]"}, {"tab\there", "%c"}, {"UP low", "%u+"}, {"UP low", "%L+"},
	{"a,b;c", "%p"}, {"a b", "%S+"}, {"a1_", "%W"}, {"12ab", "%D+"}, {"\x01\x02", "%g"},
	{"abc", "%"}, {"abc", "[a"}, {"abc", "[a%"}, {"abc", "%b"}, {"abc", "%ba"}, {"abc", "%f"},
	{"abc", "%fa"}, {"abc", "(a"}, {"abc", "a)"}, {"abc", "%1"}, {"abc", "(a%1)"},
	{"abc", "%0"}, {"abc", "(()"}, {"aaa", "()a()a()"}, {"abc", "[%w_]+"}, {"abc", "[c-a]"}, {"a+b", "a+b"}, {"a+b", "a%+b"},
	{"((((((((((((((((((((((((((((((((((x", "(((((((((((((((((((((((((((((((((("},
	{"abcdefghijklmnopqrstuvwxyz", "(a)(b)(c)(d)(e)(f)(g)(h)(i)(j)(k)(l)(m)(n)(o)(p)(q)(r)(s)(t)(u)(v)(w)(x)(y)(z)(.)"},
	{"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "a?a?a?a?a?a?a?a?a?a?aaaaaaaaaa"},
	{"x", "x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?"
	      "x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?"
	      "x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?"
	      "x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?"
	      "x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?"
	      "x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?x?"},
	{"caf\xc3\xa9", "[\x01-\x7F\xC2-\xFD][\x80-\xBF]*"},
};

/* Appends the Lua literal for the n bytes at s: every byte outside
 * printable ASCII, and quotes and backslashes, as \ddd. */
static void quote(buf *b, const char *s, size_t n)
{
	buf_putc(b, '"');
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c > 0x7e || c == '"' || c == '\\')
			buf_printf(b, "\\%03u", c);
		else
			buf_putc(b, (char)c);
	}
	buf_putc(b, '"');
}

/* The expression for operation op on subject s and pattern p. */
static void expr(buf *b, int op, const char *s, size_t ls, const char *p, size_t lp)
{
	const char *fmt = ops[op];
	const char *a = strstr(fmt, "%s"), *c = strstr(a + 2, "%s");

	for (const char *q = fmt; q < a; q++)
		buf_putc(b, *q == '%' && q[1] == '%' ? *q++ : *q);
	quote(b, s, ls);
	buf_puts(b, ", ");
	quote(b, p, lp);
	for (const char *q = c + 2; *q; q++)
		buf_putc(b, *q == '%' && q[1] == '%' ? *q++ : *q);
}

/* Adds to chunk a check of every operation on s and p, the expected
 * results computed with Lua's own library in L. */
static void add_case(lua_State *L, buf *chunk, const char *s, size_t ls, const char *p, size_t lp)
{
	for (int op = 0; op < NOPS; op++) {
		buf e = {0}, src = {0};
		size_t wl;
		const char *want;

		expr(&e, op, s, ls, p, lp);
		buf_printf(&src, "%sreturn %s", PRELUDE, buf_str(&e));
		if (luaL_loadstring(L, buf_str(&src)) != LUA_OK || lua_pcall(L, 0, 1, 0) != LUA_OK)
			fail_msg("reference run failed: %s", lua_tostring(L, -1));
		want = lua_tolstring(L, -1, &wl);
		buf_printf(chunk, "do local got, want = %s, ", buf_str(&e));
		quote(chunk, want, wl);
		buf_puts(chunk, "\nif got ~= want then error(");
		quote(chunk, buf_str(&e), strlen(buf_str(&e)));
		buf_puts(chunk, " .. ' got: ' .. got .. ' want: ' .. want, 0) end end\n");
		lua_pop(L, 1);
		buf_free(&e);
		buf_free(&src);
	}
}

/* Runs chunk as a rule's top-level code in the sandbox; fails the test
 * with the first mismatch. */
static void run_chunk(buf *chunk)
{
	rule_meta meta;
	tr_err e;

	buf_puts(chunk, "description = 'pattern cases'\nreads = {}\nfunction run(f) end\n");
	tr_clear(&e);
	if (rules_check("rules/patterns.lua", buf_str(chunk), &meta, &e) != TR_OK)
		fail_msg("%s", e.msg);
	rules_meta_free(&meta);
	buf_reset(chunk);
}

static void test_fixed_cases_match_lua(void **state)
{
	lua_State *L = luaL_newstate();
	buf chunk = {0};

	(void)state;
	luaL_openlibs(L);
	for (size_t i = 0; i < sizeof fixed / sizeof *fixed; i++) {
		size_t ls = strlen(fixed[i].s), lp = strlen(fixed[i].p);

		if (buf_str(&chunk)[0] == 0)
			buf_puts(&chunk, PRELUDE);
		add_case(L, &chunk, fixed[i].s, ls, fixed[i].p, lp);
		if (i % 8 == 7)
			run_chunk(&chunk);
	}
	if (buf_str(&chunk)[0])
		run_chunk(&chunk);
	buf_free(&chunk);
	lua_close(L);
}

static void test_random_cases_match_lua(void **state)
{
	lua_State *L = luaL_newstate();
	buf chunk = {0};
	unsigned seed = 20261202;
	char s[64], p[64];

	(void)state;
	luaL_openlibs(L);
	for (int i = 0; i < 3000; i++) {
		static const char subj[] = "aab()[]%-^$.x \n1";
		static const char *const items[] = {
			"a", "b", "x", ".", "%a", "%d", "%s", "%S", "%p", "[ab]", "[^a]", "[a-c]",
			"[%a%d]", "[]a]", "%]", "%(", "(", ")", "()", "*", "+", "-", "?", "^", "$",
			"%b()", "%b[]", "%f[%a]", "%f[%W]", "%1", "%2", "[%a-]", "[", "%", "%x",
			"a*", "b+", ".-", "(a*)", "%%", "1", " ", "\n", "%b", "%f", "[^",
		};
		size_t ls = (size_t)(rand_r(&seed) % 12), lp = 0;
		int np = 1 + rand_r(&seed) % 6;

		for (size_t k = 0; k < ls; k++)
			s[k] = subj[rand_r(&seed) % (int)(sizeof subj - 1)];
		for (int k = 0; k < np; k++) {
			const char *it = items[(size_t)rand_r(&seed) % (sizeof items / sizeof *items)];

			memcpy(p + lp, it, strlen(it));
			lp += strlen(it);
		}
		if (buf_str(&chunk)[0] == 0)
			buf_puts(&chunk, PRELUDE);
		add_case(L, &chunk, s, ls, p, lp);
		if (i % 8 == 7)
			run_chunk(&chunk);
	}
	buf_free(&chunk);
	lua_close(L);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixed_cases_match_lua),
		cmocka_unit_test(test_random_cases_match_lua),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
