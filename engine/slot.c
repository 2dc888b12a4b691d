/*
 * slot.c: typed free-text values and per-shell quoting of {{slots}}
 * (slot.h). Quoting follows each shell's own rules: PowerShell (which also
 * takes the typographic quotes U+2018-U+201E as quotes), cmd.exe and reg.exe
 * (which expand %VAR% even inside double quotes, and whose programs' argument
 * parser reads \" as a quote), and the Azure CLI, typed in bash or PowerShell
 * (Cloud Shell offers both), so only quoting that means the same in both.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "slot.h"

const char *const slot_kind_names[SLOT_NKINDS] = {
	"text", "host", "ip", "azure_name", "port", "path", "name",
};

int slot_kind_of(const char *name)
{
	for (int k = 0; k < SLOT_NKINDS; k++)
		if (name && strcmp(name, slot_kind_names[k]) == 0)
			return k;
	return -1;
}

/* Decodes one UTF-8 character at s; returns its length (0 when invalid). */
static size_t utf8(const unsigned char *s, uint32_t *cp)
{
	size_t n;
	uint32_t c = s[0], min;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if ((c & 0xe0) == 0xc0)
		n = 2, c &= 0x1f, min = 0x80;
	else if ((c & 0xf0) == 0xe0)
		n = 3, c &= 0x0f, min = 0x800;
	else if ((c & 0xf8) == 0xf0)
		n = 4, c &= 0x07, min = 0x10000;
	else
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return n;
}

/* Characters a reader cannot see or that reorder text: Unicode format
 * characters (Cf), the line and paragraph separators, and the C1 controls. */
static int invisible(uint32_t c)
{
	return (c >= 0x80 && c <= 0x9f) || c == 0xad || (c >= 0x600 && c <= 0x605) || c == 0x61c ||
	       c == 0x6dd || c == 0x70f || c == 0x180e || (c >= 0x200b && c <= 0x200f) ||
	       (c >= 0x2028 && c <= 0x202e) || (c >= 0x2060 && c <= 0x206f) || c == 0xfeff ||
	       (c >= 0xfff9 && c <= 0xfffb) || (c >= 0x1d173 && c <= 0x1d17a) ||
	       c == 0xe0001 || (c >= 0xe0020 && c <= 0xe007f);
}

/* The typographic quotes PowerShell reads as ' and as ". */
static int ps_single(uint32_t c) { return c == '\'' || (c >= 0x2018 && c <= 0x201b); }
static int ps_double(uint32_t c) { return c == '"' || (c >= 0x201c && c <= 0x201e); }

static int all_in(const char *s, const char *set)
{
	return strspn(s, set) == strlen(s);
}

#define ALNUM "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

static int is_ip(const char *s)
{
	unsigned char a[16];

	return inet_pton(AF_INET, s, a) == 1 || (strchr(s, ':') && inet_pton(AF_INET6, s, a) == 1);
}

/* A DNS or NetBIOS name: labels of letters, digits, '-' and '_', 1 to 63
 * each, not starting or ending with '-', at most 253 in all; not all digits
 * (that would be a malformed address). */
static int is_host_name(const char *s)
{
	size_t n = strlen(s), label = 0;
	int letter = 0;

	if (n == 0 || n > 253 || !all_in(s, ALNUM "-_."))
		return 0;
	for (size_t i = 0; i <= n; i++) {
		if (i == n || s[i] == '.') {
			if (label == 0 || label > 63 || s[i - 1] == '-')
				return 0;
			label = 0;
			continue;
		}
		if (label == 0 && (s[i] == '-' || s[i] == '_'))
			return 0;
		letter |= !(s[i] >= '0' && s[i] <= '9');
		label++;
	}
	return letter;
}

static int is_port(const char *s)
{
	long v = 0;

	if (!*s || strlen(s) > 5 || !all_in(s, "0123456789") || s[0] == '0')
		return 0;
	for (const char *p = s; *p; p++)
		v = v * 10 + (*p - '0');
	return v >= 1 && v <= 65535;
}

/* Azure resource names: letters, digits, '-', '_', '.', '(', ')', 1 to 90,
 * starting with a letter, digit or '_', not ending with '.'. */
static int is_azure_name(const char *s)
{
	size_t n = strlen(s);

	return n >= 1 && n <= 90 && all_in(s, ALNUM "-_.()") && s[0] != '-' && s[0] != '.' &&
	       s[0] != '(' && s[0] != ')' && s[n - 1] != '.';
}

/* A Windows path: a drive (C:\...) or a share (\\server\share...), with no
 * character Windows refuses in a file name. */
static int is_path(const char *s)
{
	int drive = ((s[0] | 0x20) >= 'a' && (s[0] | 0x20) <= 'z') && s[1] == ':' && s[2] == '\\';
	int share = s[0] == '\\' && s[1] == '\\' && s[2] && s[2] != '\\';

	return (drive || share) && !strpbrk(s + 2, "<>\"|?*:/") && strlen(s) <= 260;
}

/* A Windows object's display name (a network adapter, an interface alias,
 * a session id): letters, digits, spaces and - _ . ( ) # , +; no leading
 * space, '-' or '/', no trailing space. */
static int is_name(const char *s)
{
	size_t n = strlen(s);

	return n >= 1 && n <= 128 && all_in(s, ALNUM " -_.()#,+") && s[0] != ' ' && s[0] != '-' &&
	       s[n - 1] != ' ';
}

static const char *const kind_what[SLOT_NKINDS] = {
	"text",
	"a host name or IP address",
	"an IP address",
	"an Azure resource name",
	"a port number",
	"a Windows path",
	"a name",
};

static const char *const kind_rule[SLOT_NKINDS] = {
	"printable characters only",
	"letters, digits, '-', '_' and '.' (a DNS or computer name), or an IPv4 or IPv6 address",
	"an IPv4 address such as 10.0.0.4, or an IPv6 address",
	"1 to 90 letters, digits, '-', '_', '.', '(' or ')', starting with a letter, digit or '_'",
	"a whole number from 1 to 65535",
	"a drive path such as C:\\Users or a share such as \\\\server\\share, without < > \" | ? *",
	"letters, digits, spaces and - _ . ( ) # , +",
};

/* Copies up to 40 characters of s for a message, every byte that is not
 * printable ASCII shown as '?'. */
static void shown(char *out, size_t size, const char *s)
{
	size_t i = 0;

	for (; *s && i + 4 < size && i < 40; s++)
		out[i++] = (*s >= 0x20 && *s < 0x7f) ? *s : '?';
	if (*s && i + 4 < size)
		out[i++] = '.', out[i++] = '.', out[i++] = '.';
	out[i] = '\0';
}

int slot_check(enum slot_kind kind, const char *value, tr_err *e)
{
	const unsigned char *p = (const unsigned char *)value;
	char v[64];
	int ok;

	if ((int)kind < 0 || kind >= SLOT_NKINDS)
		kind = SLOT_TEXT;
	if (!*value || strlen(value) > SLOT_MAX)
		return tr_fail(e, TR_EUSAGE, "text must be 1 to %d bytes", SLOT_MAX);
	while (*p) {
		uint32_t c;
		size_t n = utf8(p, &c);

		if (n == 0)
			return tr_fail(e, TR_EUSAGE, "text is not valid UTF-8");
		if (c < 0x20 || c == 0x7f)
			return tr_fail(e, TR_EUSAGE, "text must not contain control characters");
		if (invisible(c))
			return tr_fail(e, TR_EUSAGE, "text must not contain invisible or bidirectional "
				       "format characters (U+%04X)", (unsigned)c);
		p += n;
	}
	switch (kind) {
	case SLOT_HOST: ok = is_ip(value) || is_host_name(value); break;
	case SLOT_IP: ok = is_ip(value); break;
	case SLOT_AZURE_NAME: ok = is_azure_name(value); break;
	case SLOT_PORT: ok = is_port(value); break;
	case SLOT_PATH: ok = is_path(value); break;
	case SLOT_NAME: ok = is_name(value); break;
	default: ok = 1; break;
	}
	if (ok)
		return TR_OK;
	shown(v, sizeof v, value);
	return tr_fail(e, TR_EUSAGE, "'%s' is not %s: %s", v, kind_what[kind], kind_rule[kind]);
}

/* ---- quoting ---- */

enum ctx { BARE, SQ, DQ };

/* Where the shell's parser stands after prefix: outside quotes, inside
 * single quotes or inside double quotes. */
static enum ctx context(const char *shell, const char *s, size_t n)
{
	enum ctx c = BARE;
	int ps = strcmp(shell, "powershell") == 0, cmd = !strcmp(shell, "cmd") || !strcmp(shell, "reg");

	for (size_t i = 0; i < n;) {
		uint32_t ch;
		size_t k = utf8((const unsigned char *)s + i, &ch);

		if (k == 0)
			k = 1, ch = 0xfffd;
		if (ps) {
			if (c != SQ && ch == '`') {
				i += k + (i + k < n);
				continue;
			}
			if (c == BARE)
				c = ps_single(ch) ? SQ : ps_double(ch) ? DQ : BARE;
			else if ((c == SQ && ps_single(ch)) || (c == DQ && ps_double(ch))) {
				uint32_t nx = 0;
				size_t k2 = i + k < n ? utf8((const unsigned char *)s + i + k, &nx) : 0;

				if (k2 && ((c == SQ && ps_single(nx)) || (c == DQ && ps_double(nx))))
					k += k2;  /* doubled: a literal quote */
				else
					c = BARE;
			}
		} else if (cmd) {
			if (c == BARE && ch == '^')
				k += i + k < n;
			else if (ch == '"')
				c = c == DQ ? BARE : DQ;
		} else {  /* azure-cli, read as bash */
			if (c != SQ && ch == '\\')
				k += i + k < n;
			else if (c == BARE)
				c = ch == '\'' ? SQ : ch == '"' ? DQ : BARE;
			else if ((c == SQ && ch == '\'') || (c == DQ && ch == '"'))
				c = BARE;
		}
		i += k;
	}
	return c;
}

/* Needs no quoting in any shell: letters, digits, '.', '_', '-', ':' and
 * not starting with '-' (which a program would read as an option). */
static int plain(const char *v)
{
	return *v && all_in(v, ALNUM "._-:") && v[0] != '-';
}

static int ascii(const char *v)
{
	for (; *v; v++)
		if ((unsigned char)*v >= 0x80)
			return 0;
	return 1;
}

static int quote_ps(enum ctx c, const char *v, buf *out, const char **why)
{
	const unsigned char *p = (const unsigned char *)v;

	if (c == BARE && plain(v)) {
		buf_puts(out, v);
		return TR_OK;
	}
	if (c == BARE)
		buf_putc(out, '\'');
	while (*p) {
		uint32_t ch;
		size_t k = utf8(p, &ch);

		if (k == 0) {
			*why = "it is not valid UTF-8";
			return TR_ERR;
		}
		if (c != DQ && ps_single(ch))
			buf_add(out, (const char *)p, k);  /* doubled: literal */
		else if (c == DQ && (ps_double(ch) || ch == '`' || ch == '$'))
			buf_putc(out, '`');
		buf_add(out, (const char *)p, k);
		p += k;
	}
	if (c == BARE)
		buf_putc(out, '\'');
	return TR_OK;
}

static int quote_cmd(enum ctx c, const char *v, int reg, buf *out, const char **why)
{
	size_t n = strlen(v);

	if (!ascii(v))
		*why = "cmd.exe may map non-ASCII characters to quotes or other metacharacters";
	else if (strpbrk(v, "\"%!"))
		*why = "cmd.exe expands % and ! and ends quotes at \" even inside double quotes";
	else if (reg && strchr(v, '\\'))
		*why = "a backslash would add a level to the registry path";
	else if (n && v[n - 1] == '\\')
		*why = "a trailing backslash would escape the closing quote";
	else if (v[0] == '/' || v[0] == '-')
		*why = "a leading / or - would be read as an option";
	else {
		int wrap = c == BARE && !plain(v);

		if (wrap)
			buf_putc(out, '"');
		buf_puts(out, v);
		if (wrap)
			buf_putc(out, '"');
		return TR_OK;
	}
	return TR_ERR;
}

static int quote_az(enum ctx c, const char *v, buf *out, const char **why)
{
	if (plain(v)) {
		buf_puts(out, v);
		return TR_OK;
	}
	if (!ascii(v))
		*why = "the Azure CLI's shells read some non-ASCII characters as quotes";
	else if (strchr(v, '\''))
		*why = "a single quote cannot be quoted the same way in bash and PowerShell";
	else if (c == DQ)
		*why = "inside double quotes only letters, digits, '.', '_', '-' and ':' are safe in both bash and PowerShell";
	else if (v[0] == '-')
		*why = "a leading - would be read as an option";
	else {
		if (c == BARE)
			buf_putc(out, '\'');
		buf_puts(out, v);
		if (c == BARE)
			buf_putc(out, '\'');
		return TR_OK;
	}
	return TR_ERR;
}

int slot_quote(const char *shell, const char *prefix, size_t nprefix, const char *value,
	       buf *out, const char **why)
{
	enum ctx c;
	tr_err e;

	*why = NULL;
	if (slot_check(SLOT_TEXT, value, &e) != TR_OK) {
		*why = "it holds control, invisible or invalid characters";
		return TR_ERR;
	}
	if (!shell || strcmp(shell, "gui") == 0) {
		buf_puts(out, value);
		return TR_OK;
	}
	if (value[0] == '/' && strcmp(shell, "azure-cli") != 0) {
		*why = "a leading / would be read as an option";
		return TR_ERR;
	}
	c = context(shell, prefix, nprefix);
	if (strcmp(shell, "powershell") == 0) {
		if (value[0] == '-') {
			*why = "a leading - would be read as an option";
			return TR_ERR;
		}
		return quote_ps(c, value, out, why);
	}
	if (strcmp(shell, "cmd") == 0 || strcmp(shell, "reg") == 0)
		return quote_cmd(c, value, shell[0] == 'r', out, why);
	if (strcmp(shell, "azure-cli") == 0)
		return quote_az(c, value, out, why);
	*why = "the command's shell is unknown";
	return TR_ERR;
}

static void miss(slot_report *rep, const char *name, size_t n, const char *why)
{
	if (!rep)
		return;
	for (int i = 0; i < rep->n; i++)
		if (strlen(rep->v[i].name) == n && strncmp(rep->v[i].name, name, n) == 0) {
			if (why && !rep->v[i].why)
				rep->v[i].why = why;
			return;
		}
	if (rep->n < SLOT_MISS_MAX) {
		snprintf(rep->v[rep->n].name, sizeof rep->v[rep->n].name, "%.*s", (int)n, name);
		rep->v[rep->n].why = why;
		rep->n++;
	}
}

char *slot_render(const char *text, const char *shell, slot_lookup lookup, const void *ctx,
		  slot_report *rep)
{
	buf b = {0};
	const char *p = text;

	if (rep)
		rep->n = 0;
	buf_puts(&b, "");
	while (*p) {
		const char *open = strstr(p, "{{"), *close;
		size_t n;

		if (!open || !(close = strstr(open + 2, "}}"))) {
			buf_puts(&b, p);
			break;
		}
		n = (size_t)(close - open - 2);
		buf_add(&b, p, (size_t)(open - p));
		if (n == 0 || n > 64 || strspn(open + 2, "abcdefghijklmnopqrstuvwxyz0123456789_") != n)
			buf_add(&b, open, n + 4);  /* not a slot: keep as written */
		else {
			const char *v = lookup ? lookup(ctx, open + 2, n) : NULL;
			const char *why = NULL;

			/* the context is the original text before the slot: values
			 * filled earlier are quoted and leave the state unchanged */
			if (!v || slot_quote(shell, text, (size_t)(open - text), v, &b, &why) != TR_OK) {
				miss(rep, open + 2, n, v ? why : NULL);
				buf_printf(&b, "<%.*s>", (int)n, open + 2);
			}
		}
		p = close + 2;
	}
	return buf_take(&b);
}
