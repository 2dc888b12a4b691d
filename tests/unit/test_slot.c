/*
 * test_slot.c: typed free-text values (slot_check) and per-shell quoting of
 * {{slots}} (slot_render). Each filled command is read back by a reference
 * tokenizer of its shell (PowerShell, cmd.exe, bash for the Azure CLI): a
 * value must come back as exactly one argument, unchanged, with nothing
 * after it but the template's own text, or the slot must stay <slot>.
 * Hostile values: every metacharacter of each shell, newlines, quotes of
 * every kind, Unicode look-alikes and invisible characters.
 */
#include "testkit.h"
#include "slot.h"

/* ---- slot_check ---- */

static void refused(enum slot_kind k, const char *v, const char *msg)
{
	tr_err e;

	tr_clear(&e);
	if (slot_check(k, v, &e) != TR_EUSAGE)
		fail_msg("%s accepted as %s", v, slot_kind_names[k]);
	if (msg)
		assert_string_equal(e.msg, msg);
}

static void accepted(enum slot_kind k, const char *v)
{
	tr_err e;

	tr_clear(&e);
	if (slot_check(k, v, &e) != TR_OK)
		fail_msg("%s refused as %s: %s", v, slot_kind_names[k], e.msg);
}

static void test_the_injection_example_is_not_a_host_name(void **state)
{
	(void)state;
	refused(SLOT_HOST, "srv1; Remove-Item -Recurse -Force C:\\ #",
		"'srv1; Remove-Item -Recurse -Force C:\\ #' is not a host name or IP address: letters, "
		"digits, '-', '_' and '.' (a DNS or computer name), or an IPv4 or IPv6 address");
}

static void test_host_names_and_addresses(void **state)
{
	static const char *const good[] = {"srv1", "SRV-01.corp.example.com", "pc_042", "10.0.0.4",
		"fe80::1", "2001:db8::42", "a", NULL};
	static const char *const bad[] = {"-srv", "srv-", "srv..corp", ".srv", "srv.", "999.1.1.1",
		"1234", "srv 1", "srv;1", "srv&1", "srv|1", "srv$1", "srv`1", "srv'1", "srv\"1", "srv%1",
		"srv^1", "srv(1)", "srv/1", "srv\\1", "srv:1", "fe80::1%eth0", "s\xc3\xa9rv",
		"srv\xef\xbc\x9b" "1", "srv\xe2\x80\x8b" "1", "a.-b", NULL};

	(void)state;
	for (int i = 0; good[i]; i++)
		accepted(SLOT_HOST, good[i]);
	for (int i = 0; bad[i]; i++)
		refused(SLOT_HOST, bad[i], NULL);
}

static void test_ports_ips_azure_names_paths_names(void **state)
{
	(void)state;
	accepted(SLOT_PORT, "3389");
	accepted(SLOT_PORT, "65535");
	refused(SLOT_PORT, "0", "'0' is not a port number: a whole number from 1 to 65535");
	refused(SLOT_PORT, "65536", NULL);
	refused(SLOT_PORT, "03389", NULL);
	refused(SLOT_PORT, "3389 ", NULL);
	refused(SLOT_PORT, "-1", NULL);
	accepted(SLOT_IP, "192.168.1.10");
	refused(SLOT_IP, "192.168.1", NULL);
	refused(SLOT_IP, "srv1", NULL);
	accepted(SLOT_AZURE_NAME, "rg-office_01(prod)");
	refused(SLOT_AZURE_NAME, "--debug", NULL);
	refused(SLOT_AZURE_NAME, "rg.", NULL);
	refused(SLOT_AZURE_NAME, "rg office", NULL);
	accepted(SLOT_PATH, "C:\\Temp\\gateway.cer");
	accepted(SLOT_PATH, "\\\\fs01\\share\\x");
	refused(SLOT_PATH, "/etc/passwd", NULL);
	refused(SLOT_PATH, "C:\\a\"b", NULL);
	accepted(SLOT_NAME, "vEthernet (Default Switch)");
	refused(SLOT_NAME, "Wi-Fi'; rm", NULL);
	refused(SLOT_NAME, " Ethernet", NULL);
}

static void test_every_kind_refuses_controls_invisibles_and_bad_utf8(void **state)
{
	(void)state;
	for (int k = 0; k < SLOT_NKINDS; k++) {
		refused((enum slot_kind)k, "a\nb", "text must not contain control characters");
		refused((enum slot_kind)k, "a\rb", "text must not contain control characters");
		refused((enum slot_kind)k, "a\x1b[2Jb", "text must not contain control characters");
		refused((enum slot_kind)k, "a\xc2\x85" "b", NULL);  /* NEL, a C1 control */
		refused((enum slot_kind)k, "a\xe2\x80\xae" "b",
			"text must not contain invisible or bidirectional format characters (U+202E)");
		refused((enum slot_kind)k, "a\xe2\x80\x8b" "b", NULL);  /* zero-width space */
		refused((enum slot_kind)k, "a\xef\xbb\xbf" "b", NULL);  /* BOM */
		refused((enum slot_kind)k, "a\xe2\x81\xa6" "b", NULL);  /* LRI */
		refused((enum slot_kind)k, "a\xe2\x80\xa8" "b", NULL);  /* line separator */
		refused((enum slot_kind)k, "a\xff" "b", "text is not valid UTF-8");
		refused((enum slot_kind)k, "a\xc0\xaf", "text is not valid UTF-8");  /* overlong '/' */
		refused((enum slot_kind)k, "", "text must be 1 to 256 bytes");
	}
	accepted(SLOT_TEXT, "caf\xc3\xa9 \xe2\x80\x9cquoted\xe2\x80\x9d");
}

/* ---- reference tokenizers ---- */

/* UTF-8 length and code point at s. */
static size_t cp_at(const char *s, unsigned *cp)
{
	const unsigned char *u = (const unsigned char *)s;

	if (u[0] < 0x80)
		return *cp = u[0], 1;
	if ((u[0] & 0xe0) == 0xc0)
		return *cp = (unsigned)(u[0] & 0x1f) << 6 | (u[1] & 0x3f), 2;
	if ((u[0] & 0xf0) == 0xe0)
		return *cp = (unsigned)(u[0] & 0x0f) << 12 | (unsigned)(u[1] & 0x3f) << 6 | (u[2] & 0x3f), 3;
	return *cp = (unsigned)(u[0] & 0x07) << 18 | (unsigned)(u[1] & 0x3f) << 12 |
		     (unsigned)(u[2] & 0x3f) << 6 | (u[3] & 0x3f), 4;
}

static int sq(unsigned c) { return c == '\'' || (c >= 0x2018 && c <= 0x201b); }
static int dq(unsigned c) { return c == '"' || (c >= 0x201c && c <= 0x201e); }

/* Splits a PowerShell command line into arguments, as its tokenizer does in
 * argument mode: whitespace separates; ; | & ( ) { } < > , and newlines
 * end the command (reported as an argument "#SEP#"); single quotes are
 * literal with doubled quotes; double quotes take ` escapes, and $ starts
 * an expansion (reported as "#EXPAND#"). Returns the count. */
static int ps_split(const char *s, char out[][300], int max)
{
	int n = 0;

	while (*s && n < max) {
		size_t k = 0;
		unsigned c;

		while (*s == ' ')
			s++;
		if (!*s)
			break;
		if (strchr(";|&(){}<>,\n", *s)) {
			snprintf(out[n++], 300, "#SEP#");
			s++;
			continue;
		}
		while (*s && *s != ' ' && !strchr(";|&(){}<>,\n", *s)) {
			size_t l = cp_at(s, &c);

			if (sq(c)) {
				s += l;
				for (;;) {
					unsigned d, e;
					size_t m;

					if (!*s)
						return snprintf(out[n++], 300, "#OPEN#"), n;
					m = cp_at(s, &d);
					if (sq(d) && s[m] && (cp_at(s + m, &e), sq(e))) {
						memcpy(out[n] + k, s, m);
						k += m, s += 2 * m;  /* doubled: one literal quote */
						continue;
					}
					if (sq(d)) {
						s += m;
						break;
					}
					memcpy(out[n] + k, s, m);
					k += m, s += m;
				}
			} else if (dq(c)) {
				s += l;
				for (;;) {
					unsigned d;
					size_t m;

					if (!*s)
						return snprintf(out[n++], 300, "#OPEN#"), n;
					m = cp_at(s, &d);
					if (d == '`') {
						s += m;
						m = cp_at(s, &d);
					} else if (d == '$')
						return snprintf(out[n++], 300, "#EXPAND#"), n;
					else if (dq(d)) {
						s += m;
						break;
					}
					memcpy(out[n] + k, s, m);
					k += m, s += m;
				}
			} else if (c == '$' || c == '@')
				return snprintf(out[n++], 300, "#EXPAND#"), n;
			else if (c == '`') {
				s += l;
				l = cp_at(s, &c);
				memcpy(out[n] + k, s, l);
				k += l, s += l;
			} else {
				memcpy(out[n] + k, s, l);
				k += l, s += l;
			}
		}
		out[n++][k] = '\0';
	}
	return n;
}

/* cmd.exe, then the program's argument parser: " toggles quoting (and is
 * dropped); outside quotes & | < > ( ) and newlines end the command, ^
 * escapes; % and ! expand anywhere (reported); a backslash before " is an
 * escape for the program. */
static int cmd_split(const char *s, char out[][300], int max)
{
	int n = 0;

	while (*s && n < max) {
		size_t k = 0;
		int q = 0;

		while (*s == ' ')
			s++;
		if (!*s)
			break;
		if (strchr("&|<>()\n", *s)) {
			snprintf(out[n++], 300, "#SEP#");
			s++;
			continue;
		}
		while (*s && (q || (*s != ' ' && !strchr("&|<>()\n", *s)))) {
			if (*s == '%' || *s == '!')
				return snprintf(out[n++], 300, "#EXPAND#"), n;
			if (*s == '\\' && s[1] == '"')
				return snprintf(out[n++], 300, "#ESCAPED_QUOTE#"), n;
			if (*s == '"') {
				q = !q, s++;
				continue;
			}
			if (!q && *s == '^' && s[1])
				s++;
			out[n][k++] = *s++;
		}
		if (q)
			return snprintf(out[n++], 300, "#OPEN#"), n;
		out[n++][k] = '\0';
	}
	return n;
}

/* bash: ' quotes literally; " quotes with \ escapes and $ ` expansions
 * (reported); outside quotes ; & | < > ( ) and newlines end the command
 * and \ escapes. */
static int sh_split(const char *s, char out[][300], int max)
{
	int n = 0;

	while (*s && n < max) {
		size_t k = 0;

		while (*s == ' ')
			s++;
		if (!*s)
			break;
		if (strchr(";&|<>()\n", *s)) {
			snprintf(out[n++], 300, "#SEP#");
			s++;
			continue;
		}
		while (*s && *s != ' ' && !strchr(";&|<>()\n", *s)) {
			if (*s == '$' || *s == '`')
				return snprintf(out[n++], 300, "#EXPAND#"), n;
			if (*s == '\'') {
				const char *e = strchr(s + 1, '\'');

				if (!e)
					return snprintf(out[n++], 300, "#OPEN#"), n;
				memcpy(out[n] + k, s + 1, (size_t)(e - s - 1));
				k += (size_t)(e - s - 1), s = e + 1;
			} else if (*s == '"') {
				for (s++; *s != '"'; s++) {
					if (!*s || *s == '$' || *s == '`')
						return snprintf(out[n++], 300, *s ? "#EXPAND#" : "#OPEN#"), n;
					if (*s == '\\' && strchr("\"\\$`", s[1]))
						s++;
					out[n][k++] = *s;
				}
				s++;
			} else {
				if (*s == '\\' && s[1])
					s++;
				out[n][k++] = *s++;
			}
		}
		out[n++][k] = '\0';
	}
	return n;
}

/* ---- rendering hostile values ---- */

static const char *value_of;

static const char *lookup(const void *ctx, const char *name, size_t n)
{
	(void)ctx;
	return n == 1 && name[0] == 'x' ? value_of : NULL;
}

/* Hostile values: each shell's metacharacters, quotes of every kind,
 * look-alikes, leading option characters, and plain ones. */
static const char *const hostile[] = {
	"srv1", "srv 1", "a;b", "a&b", "a&&b", "a|b", "a||b", "a<b", "a>b", "a>>b", "a(b)", "a{b}",
	"a,b", "a^b", "a%PATH%b", "a!x!b", "a$b", "$(calc)", "${x}", "a`b", "a`", "@(x)", "a'b", "'",
	"''", "a\"b", "\"", "a\\\"b", "a\\", "a\\\\", "a#b", "#a", "a=b", "-Force", "--debug",
	"/delete", "a b ; c", "x' ; Remove-Item C:\\ ; '", "x\" ; calc ; \"", "x`$(calc)",
	"a\xe2\x80\x98" "b", "a\xe2\x80\x99" "b", "a\xe2\x80\x9a" "b", "a\xe2\x80\x9b" "b",
	"a\xe2\x80\x9c" "b", "a\xe2\x80\x9d" "b", "a\xe2\x80\x9e" "b", "\xe2\x80\x99; calc; \xe2\x80\x98",
	"a\xef\xbc\x82" "b", "a\xef\xbc\x9b" "b", "a\xef\xbc\x86" "b", "\xe2\x80\x93" "Force",
	"caf\xc3\xa9", "C:\\Program Files\\x", "vEthernet (Default Switch)", "a*b?c", "~user", "a:b",
	NULL,
};

/* Invisible and control values: refused everywhere, slot left unfilled. */
static const char *const unprintable[] = {
	"a\nb", "a\r\nb", "a\x1b]0;x\x07", "a\tb", "a\xe2\x80\xae" "b", "a\xe2\x80\x8b" "b",
	"\xef\xbb\xbf" "a", "a\xc2\x85" "b", "a\xe2\x80\xa8" "b", NULL,
};

typedef int (*splitter)(const char *, char [][300], int);

/* Renders "pre {{x}} tail" for shell and checks that the value comes
 * back as one argument, or that the slot stayed <x> with a reason. */
static void check_one(const char *shell, splitter split, const char *pre, const char *post,
		      const char *v)
{
	char tmpl[256], args[16][300], want_pre[16][300];
	slot_report rep;
	char *out;
	int n, np;

	snprintf(tmpl, sizeof tmpl, "cmd %s{{x}}%s tail", pre, post);
	value_of = v;
	out = slot_render(tmpl, shell, lookup, NULL, &rep);
	if (rep.n) {
		char want[300];

		snprintf(want, sizeof want, "cmd %s<x>%s tail", pre, post);
		assert_string_equal(out, want);
		assert_int_equal(rep.n, 1);
		assert_non_null(rep.v[0].why);
		free(out);
		return;
	}
	n = split(out, args, 16);
	np = split("cmd", want_pre, 16);
	if (n != np + 2 || strcmp(args[0], "cmd") != 0 || strcmp(args[n - 1], "tail") != 0 ||
	    strcmp(args[1], v) != 0)
		fail_msg("%s: value [%s] rendered as [%s]: %d arguments, second [%s]", shell, v, out, n,
			 n > 1 ? args[1] : "");
	free(out);
}

static void check_shell(const char *shell, splitter split, const char *pre, const char *post)
{
	for (int i = 0; hostile[i]; i++)
		check_one(shell, split, pre, post, hostile[i]);
	for (int i = 0; unprintable[i]; i++) {
		slot_report rep;
		char *out;

		value_of = unprintable[i];
		out = slot_render("cmd {{x}} tail", shell, lookup, NULL, &rep);
		assert_string_equal(out, "cmd <x> tail");
		assert_int_equal(rep.n, 1);
		free(out);
	}
}

static void test_powershell_bare_single_and_double_quoted(void **state)
{
	(void)state;
	check_shell("powershell", ps_split, "", "");
	check_shell("powershell", ps_split, "'", "'");
	check_shell("powershell", ps_split, "\"", "\"");
}

static void test_cmd_and_reg_bare_and_double_quoted(void **state)
{
	(void)state;
	check_shell("cmd", cmd_split, "", "");
	check_shell("cmd", cmd_split, "\"", "\"");
	check_shell("reg", cmd_split, "", "");
	check_shell("reg", cmd_split, "\"", "\"");
}

static void test_azure_cli_in_bash_and_powershell(void **state)
{
	(void)state;
	check_shell("azure-cli", sh_split, "", "");
	check_shell("azure-cli", sh_split, "'", "'");
	check_shell("azure-cli", sh_split, "\"", "\"");
	/* what bash takes, PowerShell must take the same way */
	check_shell("azure-cli", ps_split, "", "");
}

static void test_safe_values_are_filled_as_they_are(void **state)
{
	slot_report rep;
	char *out;

	(void)state;
	value_of = "srv-01.corp.example.com";
	out = slot_render("Test-NetConnection {{x}} -Port 3389", "powershell", lookup, NULL, &rep);
	assert_string_equal(out, "Test-NetConnection srv-01.corp.example.com -Port 3389");
	assert_int_equal(rep.n, 0);
	free(out);
	value_of = "my host";
	out = slot_render("cmdkey /delete:TERMSRV/{{x}}", "cmd", lookup, NULL, &rep);
	assert_string_equal(out, "cmdkey /delete:TERMSRV/\"my host\"");
	free(out);
	out = slot_render("Get-NetAdapterLso -Name '{{x}}'", "powershell", lookup, NULL, &rep);
	assert_string_equal(out, "Get-NetAdapterLso -Name 'my host'");
	free(out);
	value_of = "it's";
	out = slot_render("Get-NetAdapterLso -Name '{{x}}'", "powershell", lookup, NULL, &rep);
	assert_string_equal(out, "Get-NetAdapterLso -Name 'it''s'");
	free(out);
}

static void test_refusals_say_why_and_gui_text_is_shown_as_given(void **state)
{
	slot_report rep;
	char *out;

	(void)state;
	value_of = "a%PATH%";
	out = slot_render("ping {{x}} && ping {{x}}", "cmd", lookup, NULL, &rep);
	assert_string_equal(out, "ping <x> && ping <x>");
	assert_int_equal(rep.n, 1);
	assert_string_equal(rep.v[0].name, "x");
	assert_string_equal(rep.v[0].why, "cmd.exe expands % and ! and ends quotes at \" even inside double quotes");
	free(out);
	out = slot_render("Portal > {{x}} > {{other}}", "gui", lookup, NULL, &rep);
	assert_string_equal(out, "Portal > a%PATH% > <other>");
	assert_int_equal(rep.n, 1);
	assert_null(rep.v[0].why);
	free(out);
	out = slot_render("{{ x }} {{X}} {{}} {{x", NULL, lookup, NULL, &rep);
	assert_string_equal(out, "{{ x }} {{X}} {{}} {{x");
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_the_injection_example_is_not_a_host_name),
		cmocka_unit_test(test_host_names_and_addresses),
		cmocka_unit_test(test_ports_ips_azure_names_paths_names),
		cmocka_unit_test(test_every_kind_refuses_controls_invisibles_and_bad_utf8),
		cmocka_unit_test(test_powershell_bare_single_and_double_quoted),
		cmocka_unit_test(test_cmd_and_reg_bare_and_double_quoted),
		cmocka_unit_test(test_azure_cli_in_bash_and_powershell),
		cmocka_unit_test(test_safe_values_are_filled_as_they_are),
		cmocka_unit_test(test_refusals_say_why_and_gui_text_is_shown_as_given),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
