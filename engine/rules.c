/*
 * rules.c: the rule sandbox (see rules.h).
 *
 * One lua_State holds every rule. Each rule's chunk runs with its own _ENV
 * table; reading a global that is neither the rule's own nor in the shared
 * base raises an error, and so does creating a global inside run(). The
 * shared base and the library tables are read-only proxies: the real tables
 * are reachable only through protected metatables. The string metatable's
 * __index is the proxy too, so ("").rep cannot be patched.
 *
 * Limits: a count hook charges every HOOK_EVERY instructions to the run's
 * budget; once the budget is spent the hook fires on every instruction, so
 * a rule's own pcall cannot swallow the error. The allocator refuses to grow
 * the state beyond RULES_MEMORY per call. C functions that could loop
 * without running Lua instructions (string.rep, pattern matching,
 * table.move) are replaced or bounded. xpcall is absent: its message
 * handler would run inside the count hook, where hooks are off, beyond the
 * budget's reach.
 *
 * Runs are pure: every run executes the rule's chunk afresh in a new _ENV
 * before calling run(f), so no state (a global, an upvalue) survives from
 * one run to the next, and the same facts always give the same effects.
 *
 * A rule is compiled on its first run, once per sandbox: a session that
 * touches a few facts of a knowledge base with 100,000 rules compiles the
 * few rules that read them. A rule that fails to compile is switched off
 * then, with the reason (kb build has already refused such rules).
 */
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "buf.h"
#include "rules.h"

#define HOOK_EVERY 1000
#define MAX_TEXT 1024            /* longest text an effect may carry */
#define MAX_SUBJECT 4096         /* longest subject string of a pattern call */

enum phase { PHASE_IDLE, PHASE_LOAD, PHASE_RUN };

struct rules {
	lua_State *L;
	const tr_model *m;       /* NULL in rules_check */
	size_t used, limit;      /* bytes the state holds, and may hold now */
	long steps;              /* instructions charged to this call */
	int killed;              /* the budget ran out during this call */
	enum phase phase;
	int cur;                 /* rule running, -1 none */
	const char *const *facts;/* values seen by the running rule */
	rule_effects *out;       /* where its effects go */
	int nrules;
	int *on;                 /* per rule: 1 loaded and on */
	char **off_why;          /* per rule: why it is off (heap), or NULL */
	int *chunk, *fview;      /* per rule: registry refs of its compiled chunk and facts view */
};

static rules *self(lua_State *L)
{
	return *(rules **)lua_getextraspace(L);
}

static void *l_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
	rules *R = ud;
	void *p;

	if (!ptr)
		osize = 0;
	if (nsize == 0) {
		free(ptr);
		R->used -= osize;
		return NULL;
	}
	if (nsize > osize && R->used + (nsize - osize) > R->limit)
		return NULL;
	p = realloc(ptr, nsize);
	if (p)
		R->used = R->used - osize + nsize;
	return p;
}

static void hook(lua_State *L, lua_Debug *ar)
{
	rules *R = self(L);

	if (!R->killed) {
		R->steps += HOOK_EVERY;
		if (R->steps <= RULES_BUDGET)
			return;
		R->killed = 1;
		lua_sethook(L, hook, LUA_MASKCOUNT, 1);
	}
	/* name the line that was running, not its caller (luaL_where(L, 1)) */
	if (lua_getstack(L, 0, ar) && lua_getinfo(L, "Sl", ar) && ar->currentline > 0)
		lua_pushfstring(L, "%s:%d: ", ar->short_src, ar->currentline);
	else
		lua_pushliteral(L, "");
	lua_pushfstring(L, "instruction budget exceeded (%d instructions)", RULES_BUDGET);
	lua_concat(L, 2);
	lua_error(L);
}

/* ---- bounded replacements for library functions ---- */

/* string.rep without its flaw: with an empty string and separator the
 * library loops n times in C, out of the hook's reach. The result is built
 * in Lua's own buffer, so a memory error holds no C memory. */
static int safe_rep(lua_State *L)
{
	size_t l, lsep;
	const char *s = luaL_checklstring(L, 1, &l);
	lua_Integer n = luaL_checkinteger(L, 2);
	const char *sep = luaL_optlstring(L, 3, "", &lsep);
	luaL_Buffer b;
	char *p;

	if (n <= 0 || (l == 0 && lsep == 0)) {
		lua_pushliteral(L, "");
		return 1;
	}
	if ((size_t)n > (size_t)(RULES_MEMORY / 2) / (l + lsep))
		return luaL_error(L, "string.rep: result too large for the sandbox");
	p = luaL_buffinitsize(L, &b, (size_t)n * (l + lsep) - lsep);
	for (lua_Integer i = 0; i < n; i++) {
		memcpy(p, s, l);
		p += l;
		if (i + 1 < n) {
			memcpy(p, sep, lsep);
			p += lsep;
		}
	}
	luaL_pushresultsize(&b, (size_t)n * (l + lsep) - lsep);
	return 1;
}

/* Pattern calls backtrack: a pattern with q quantifiers costs up to n^(q+1)
 * steps on an n-byte subject, all inside one C call the hook cannot stop.
 * Refuse what could take more than about 2e7 steps. */
static int pattern_guard(lua_State *L)
{
	size_t n, pl;
	const char *p;
	int q = 0;
	double work;

	luaL_checklstring(L, 1, &n);
	p = luaL_checklstring(L, 2, &pl);
	if (n > MAX_SUBJECT)
		return luaL_error(L, "subject of %d bytes is too long for pattern matching in the sandbox (limit %d)",
				  (int)n, MAX_SUBJECT);
	for (size_t i = 0; i < pl; i++) {
		if (p[i] == '%')
			i++;
		else if (p[i] == '*' || p[i] == '+' || p[i] == '-')
			q++;
	}
	work = pow((double)n + 1, (double)q + 1);
	if (work > 2e7)
		return luaL_error(L, "pattern with %d repetitions is too costly on a %d-byte subject (sandbox limit)",
				  q, (int)n);
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_insert(L, 1);
	lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
	return lua_gettop(L);
}

/* ---- read-only proxies ---- */

static int deny_write(lua_State *L)
{
	return luaL_error(L, "attempt to change a read-only table (field '%s')",
			  lua_type(L, 2) == LUA_TSTRING ? lua_tostring(L, 2) : "?");
}

/* Replaces the table at the top with an empty proxy that reads through to it. */
static void make_proxy(lua_State *L)
{
	lua_newtable(L);                 /* real proxy */
	lua_createtable(L, 0, 3);        /* real proxy mt */
	lua_pushvalue(L, -3);
	lua_setfield(L, -2, "__index");
	lua_pushcfunction(L, deny_write);
	lua_setfield(L, -2, "__newindex");
	lua_pushboolean(L, 0);
	lua_setfield(L, -2, "__metatable");
	lua_setmetatable(L, -2);
	lua_remove(L, -2);
}

/* Copies the named fields of the library table at index lib into a new
 * table, wrapping pattern functions, and leaves its proxy on the stack. */
static void copy_lib(lua_State *L, int lib, const char *const *names)
{
	static const char *const patterns[] = {"find", "match", "gmatch", "gsub", NULL};

	lib = lua_absindex(L, lib);
	lua_newtable(L);
	for (int i = 0; names[i]; i++) {
		int guarded = 0;

		for (int k = 0; patterns[k]; k++)
			guarded |= strcmp(names[i], patterns[k]) == 0;
		lua_getfield(L, lib, names[i]);
		if (guarded)
			lua_pushcclosure(L, pattern_guard, 1);
		lua_setfield(L, -2, names[i]);
	}
}

/* ---- the effect API ---- */

static rules *running(lua_State *L, const char *fn)
{
	rules *R = self(L);

	if (R->phase != PHASE_RUN || !R->m)
		luaL_error(L, "%s() can only be called inside run()", fn);
	return R;
}

/* Checks optional text argument i and returns it ("" when absent). It may
 * raise, so effect functions check every argument before they allocate:
 * no longjmp may cross C code that holds memory. */
static const char *opt_text(lua_State *L, int i, const char *what)
{
	size_t n;
	const char *s;

	if (lua_isnoneornil(L, i))
		return "";
	s = luaL_checklstring(L, i, &n);
	if (n > MAX_TEXT)
		luaL_error(L, "%s is longer than %d bytes", what, MAX_TEXT);
	return s;
}

static rule_effect *push_effect(rules *R, enum effect_kind kind)
{
	rule_effects *fx = R->out;
	rule_effect *e;

	if (fx->n == fx->cap) {
		fx->cap = fx->cap ? fx->cap * 2 : 8;
		fx->v = xrealloc(fx->v, sizeof *fx->v * (size_t)fx->cap);
	}
	e = &fx->v[fx->n++];
	memset(e, 0, sizeof *e);
	e->kind = kind;
	e->target = e->value = -1;
	return e;
}

static int check_fact(lua_State *L, rules *R, int i)
{
	const char *id = luaL_checkstring(L, i);
	int f = model_fact(R->m, id);

	if (f < 0)
		luaL_error(L, "unknown fact '%s'", id);
	return f;
}

static int api_derive(lua_State *L)
{
	rules *R = running(L, "derive");
	int f = check_fact(L, R, 1), v = -1;
	const char *value = luaL_checkstring(L, 2);
	const char *why = opt_text(L, 3, "derive: why");
	rule_effect *e;

	if (R->m->facts[f].nvalues > 0 && (v = model_value(R->m, f, value)) < 0)
		return luaL_error(L, "derive: '%s' is not a value of fact '%s'", value,
				  R->m->facts[f].id);
	if (strlen(value) > MAX_TEXT)
		return luaL_error(L, "derive: value longer than %d bytes", MAX_TEXT);
	e = push_effect(R, EFFECT_DERIVE);
	e->target = f;
	e->value = v;
	e->text = v < 0 ? xstrdup(value) : NULL;
	e->why = xstrdup(why);
	return 0;
}

static int api_hide(lua_State *L)
{
	rules *R = running(L, "hide");
	int f = check_fact(L, R, 1);
	const char *why = opt_text(L, 2, "hide: why");
	rule_effect *e = push_effect(R, EFFECT_HIDE);

	e->target = f;
	e->why = xstrdup(why);
	return 0;
}

static int api_scale(lua_State *L)
{
	rules *R = running(L, "scale");
	const char *id = luaL_checkstring(L, 1);
	int c = model_cause(R->m, id);
	double k = luaL_checknumber(L, 2);
	const char *why = opt_text(L, 3, "scale: why");
	rule_effect *e;

	if (c < 0)
		return luaL_error(L, "scale: unknown cause '%s'", id);
	if (!isfinite(k) || k < 0 || k > 1000)
		return luaL_error(L, "scale: factor must be a number from 0 to 1000");
	e = push_effect(R, EFFECT_SCALE);
	e->target = c;
	e->factor = k;
	e->why = xstrdup(why);
	return 0;
}

static int api_fill(lua_State *L)
{
	rules *R = running(L, "fill");
	const char *slot = luaL_checkstring(L, 1);
	const char *text = opt_text(L, 2, "fill: text");
	const char *why = opt_text(L, 3, "fill: why");
	rule_effect *e;

	if (!*slot || strlen(slot) > 64 || strspn(slot, "abcdefghijklmnopqrstuvwxyz0123456789_") != strlen(slot))
		return luaL_error(L, "fill: slot must be an identifier");
	e = push_effect(R, EFFECT_FILL);
	e->slot = xstrdup(slot);
	e->text = xstrdup(text);
	e->why = xstrdup(why);
	return 0;
}

static int api_warn(lua_State *L)
{
	rules *R = running(L, "warn");
	const char *id = luaL_checkstring(L, 1);
	const char *text = opt_text(L, 2, "warn: text");
	int x = model_fix(R->m, id);
	rule_effect *e;

	if (x < 0)
		return luaL_error(L, "warn: unknown fix '%s'", id);
	e = push_effect(R, EFFECT_WARN);
	e->target = x;
	e->text = xstrdup(text);
	e->why = xstrdup("");
	return 0;
}

/* exclude(fix, why): the fix does not apply here; it is never recommended. */
static int api_exclude(lua_State *L)
{
	rules *R = running(L, "exclude");
	const char *id = luaL_checkstring(L, 1);
	const char *why = opt_text(L, 2, "exclude: why");
	int x = model_fix(R->m, id);
	rule_effect *e;

	if (x < 0)
		return luaL_error(L, "exclude: unknown fix '%s'", id);
	e = push_effect(R, EFFECT_EXCLUDE);
	e->target = x;
	e->why = xstrdup(why);
	return 0;
}

/* ---- environments ---- */

static int env_index(lua_State *L)
{
	lua_pushvalue(L, 2);
	if (lua_rawget(L, lua_upvalueindex(1)) != LUA_TNIL)
		return 1;
	return luaL_error(L, "undeclared global '%s'",
			  lua_type(L, 2) == LUA_TSTRING ? lua_tostring(L, 2) : "?");
}

static int env_newindex(lua_State *L)
{
	if (self(L)->phase == PHASE_RUN)
		return luaL_error(L, "assignment to undeclared global '%s' inside run()",
				  lua_type(L, 2) == LUA_TSTRING ? lua_tostring(L, 2) : "?");
	lua_rawset(L, 1);
	return 0;
}

/* Builds the shared base environment and leaves it in the registry as
 * "triage.base". The library tables themselves stay out of reach. */
static void make_base(lua_State *L)
{
	static const char *const base_fns[] = {
		"assert", "error", "ipairs", "next", "pairs", "pcall", "select",
		"tonumber", "tostring", "type", "rawequal", "rawlen", NULL,
	};
	static const char *const string_fns[] = {
		"byte", "char", "find", "format", "gmatch", "gsub", "len", "lower",
		"match", "reverse", "sub", "upper", NULL,
	};
	static const char *const table_fns[] = {
		"concat", "insert", "pack", "remove", "sort", "unpack", NULL,
	};
	static const char *const math_fns[] = {
		"abs", "ceil", "exp", "floor", "fmod", "log", "max", "min", "modf",
		"sqrt", "tointeger", "type", "ult", "huge", "pi", "maxinteger",
		"mininteger", NULL,
	};
	static const char *const utf8_fns[] = {
		"char", "charpattern", "codepoint", "codes", "len", "offset", NULL,
	};
	static const struct { const char *name; lua_CFunction fn; } api[] = {
		{"derive", api_derive}, {"hide", api_hide}, {"scale", api_scale},
		{"fill", api_fill}, {"warn", api_warn}, {"exclude", api_exclude},
	};

	lua_newtable(L);  /* base */
	lua_pushglobaltable(L);
	for (int i = 0; base_fns[i]; i++) {
		lua_getfield(L, -1, base_fns[i]);
		lua_setfield(L, -3, base_fns[i]);
	}
	lua_getfield(L, -1, "string");
	copy_lib(L, -1, string_fns);
	lua_pushcfunction(L, safe_rep);
	lua_setfield(L, -2, "rep");
	make_proxy(L);
	/* strings index the proxy, not the real library */
	lua_pushliteral(L, "");
	lua_getmetatable(L, -1);
	lua_pushvalue(L, -3);
	lua_setfield(L, -2, "__index");
	lua_pushboolean(L, 0);
	lua_setfield(L, -2, "__metatable");
	lua_pop(L, 2);
	lua_setfield(L, -4, "string");
	lua_pop(L, 1);
	lua_getfield(L, -1, "table");
	copy_lib(L, -1, table_fns);
	make_proxy(L);
	lua_setfield(L, -4, "table");
	lua_pop(L, 1);
	lua_getfield(L, -1, "math");
	copy_lib(L, -1, math_fns);
	make_proxy(L);
	lua_setfield(L, -4, "math");
	lua_pop(L, 1);
	lua_getfield(L, -1, "utf8");
	copy_lib(L, -1, utf8_fns);
	make_proxy(L);
	lua_setfield(L, -4, "utf8");
	lua_pop(L, 2);    /* utf8, globals */
	for (size_t i = 0; i < sizeof api / sizeof *api; i++) {
		lua_pushcfunction(L, api[i].fn);
		lua_setfield(L, -2, api[i].name);
	}
	lua_setfield(L, LUA_REGISTRYINDEX, "triage.base");
}

/* Pushes a fresh _ENV for one rule. */
static void push_env(lua_State *L)
{
	lua_newtable(L);
	lua_createtable(L, 0, 3);
	lua_getfield(L, LUA_REGISTRYINDEX, "triage.base");
	lua_pushcclosure(L, env_index, 1);
	lua_setfield(L, -2, "__index");
	lua_pushcfunction(L, env_newindex);
	lua_setfield(L, -2, "__newindex");
	lua_pushboolean(L, 0);
	lua_setfield(L, -2, "__metatable");
	lua_setmetatable(L, -2);
}

static int open_state(rules *R, tr_err *e)
{
	R->limit = RULES_MEMORY * 4;
	R->L = lua_newstate(l_alloc, R);
	if (!R->L)
		return tr_fail(e, TR_ERR, "cannot start Lua");
	*(rules **)lua_getextraspace(R->L) = R;
	luaL_requiref(R->L, LUA_GNAME, luaopen_base, 1);
	luaL_requiref(R->L, LUA_STRLIBNAME, luaopen_string, 1);
	luaL_requiref(R->L, LUA_TABLIBNAME, luaopen_table, 1);
	luaL_requiref(R->L, LUA_MATHLIBNAME, luaopen_math, 1);
	luaL_requiref(R->L, LUA_UTF8LIBNAME, luaopen_utf8, 1);
	lua_settop(R->L, 0);
	make_base(R->L);
	lua_gc(R->L, LUA_GCGEN, 0, 0);
	return TR_OK;
}

static int traceback(lua_State *L)
{
	const char *msg = lua_tostring(L, 1);

	if (!msg)
		msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
	luaL_traceback(L, L, msg, 1);
	return 1;
}

/* The one way into Lua: calls the function below nargs arguments under
 * the budget and the memory cap. On error leaves "what" in e. */
static int call(rules *R, int nargs, enum phase phase, const char *who, tr_err *e)
{
	lua_State *L = R->L;
	int base = lua_gettop(L) - nargs, rc;

	lua_pushcfunction(L, traceback);
	lua_insert(L, base);
	R->steps = 0;
	R->killed = 0;
	R->phase = phase;
	R->limit = R->used + RULES_MEMORY;
	lua_sethook(L, hook, LUA_MASKCOUNT, HOOK_EVERY);
	rc = lua_pcall(L, nargs, 0, base);
	lua_sethook(L, NULL, 0, 0);
	R->phase = PHASE_IDLE;
	if (rc != LUA_OK) {
		const char *msg = lua_tostring(L, -1);
		const char *nl;
		char line[512];

		if (rc == LUA_ERRMEM)
			snprintf(line, sizeof line, "memory limit exceeded (%u MiB)", RULES_MEMORY >> 20);
		else {
			msg = msg ? msg : "error";
			nl = strchr(msg, '\n');
			snprintf(line, sizeof line, "%.*s", nl ? (int)(nl - msg) : (int)strlen(msg), msg);
		}
		if (strncmp(line, who, strlen(who)) == 0)  /* already "chunk:line: ..." */
			tr_fail(e, TR_ERR, "%s", line);
		else
			tr_fail(e, TR_ERR, "%s: %s", who, line);
	}
	lua_settop(L, base - 1);
	/* No full collection here: with thousands of compiled rules in the
	 * state it would cost the whole heap per call. Lua's own collector runs
	 * as the state grows, and an allocation refused by the cap below first
	 * triggers Lua's emergency collection, so garbage never counts
	 * against a run. */
	R->limit = R->used + RULES_MEMORY;
	return rc == LUA_OK ? TR_OK : TR_ERR;
}

/* Compiles src (text only) and leaves the chunk function on the stack. */
static int compile(rules *R, const char *chunk, const char *src, tr_err *e)
{
	lua_State *L = R->L;
	char name[256];

	snprintf(name, sizeof name, "@%s", chunk);
	if (luaL_loadbufferx(L, src, strlen(src), name, "t") != LUA_OK) {
		const char *msg = lua_tostring(L, -1);

		/* syntax errors start with "chunk:line:"; a refused binary chunk does not */
		if (strncmp(msg, chunk, strlen(chunk)) == 0)
			tr_fail(e, TR_ERR, "%s", msg);
		else
			tr_fail(e, TR_ERR, "%s: %s", chunk, msg);
		lua_pop(L, 1);
		return TR_ERR;
	}
	return TR_OK;
}

/* Runs the chunk function at the top of the stack (consumed) in a fresh
 * _ENV, under the limits; leaves that env on the stack. */
static int instantiate(rules *R, const char *chunk, tr_err *e)
{
	lua_State *L = R->L;

	push_env(L);
	lua_insert(L, -2);              /* env chunk */
	lua_pushvalue(L, -2);
	lua_setupvalue(L, -2, 1);       /* chunk's _ENV = env */
	if (call(R, 0, PHASE_LOAD, chunk, e) != TR_OK) {
		lua_pop(L, 1);
		return TR_ERR;
	}
	return TR_OK;
}

/* Loads chunk src with a fresh _ENV and runs it; leaves the env on the stack. */
static int load_chunk(rules *R, const char *chunk, const char *src, tr_err *e)
{
	if (compile(R, chunk, src, e) != TR_OK)
		return TR_ERR;
	return instantiate(R, chunk, e);
}

/* Pushes env[field] without metamethods: the env's __index raises for
 * undeclared names, and C must never raise outside a protected call. */
static int raw_field(lua_State *L, int env, const char *field)
{
	lua_pushstring(L, field);
	return lua_rawget(L, env < 0 ? env - 1 : env);
}

static char **string_list(lua_State *L, int env, const char *field, int *n,
			  const char *chunk, tr_err *e)
{
	char **v = NULL;
	lua_Integer len;

	*n = 0;
	raw_field(L, env, field);
	if (lua_isnil(L, -1)) {
		lua_pop(L, 1);
		return NULL;
	}
	if (!lua_istable(L, -1)) {
		tr_fail(e, TR_ERR, "%s: '%s' must be a list of ids", chunk, field);
		lua_pop(L, 1);
		return NULL;
	}
	len = (lua_Integer)lua_rawlen(L, -1);
	v = xcalloc((size_t)len + 1, sizeof *v);
	for (lua_Integer i = 1; i <= len; i++) {
		lua_rawgeti(L, -1, i);
		if (lua_type(L, -1) != LUA_TSTRING) {
			tr_fail(e, TR_ERR, "%s: '%s' item %d is not a string", chunk, field, (int)i);
			lua_pop(L, 2);
			for (int k = 0; k < *n; k++)
				free(v[k]);
			free(v);
			*n = 0;
			return NULL;
		}
		v[(*n)++] = xstrdup(lua_tostring(L, -1));
		lua_pop(L, 1);
	}
	lua_pop(L, 1);
	return v;
}

/* Reads the metadata of the rule whose env is at the top of the stack.
 * This runs outside a protected call, so nothing here may raise: fields are
 * read raw (no metamethods), values are type-checked before conversion,
 * and call() leaves RULES_MEMORY of headroom for the few small strings
 * pushed here. The same holds for push_env and push_facts_view. */
static int read_meta(rules *R, const char *chunk, rule_meta *meta, tr_err *e)
{
	lua_State *L = R->L;
	int env = lua_gettop(L);

	memset(meta, 0, sizeof *meta);
	raw_field(L, env, "description");
	if (lua_type(L, -1) != LUA_TSTRING || lua_rawlen(L, -1) == 0) {
		lua_pop(L, 1);
		return tr_fail(e, TR_ERR, "%s: missing 'description' (a string saying what the rule does)", chunk);
	}
	meta->description = xstrdup(lua_tostring(L, -1));
	lua_pop(L, 1);
	raw_field(L, env, "run");
	if (!lua_isfunction(L, -1)) {
		lua_pop(L, 1);
		rules_meta_free(meta);
		return tr_fail(e, TR_ERR, "%s: missing 'run' (a function run(f))", chunk);
	}
	lua_pop(L, 1);
	raw_field(L, env, "reads");
	if (!lua_istable(L, -1)) {
		int missing = lua_isnil(L, -1);

		lua_pop(L, 1);
		rules_meta_free(meta);
		return tr_fail(e, TR_ERR, missing ? "%s: missing 'reads' (the list of facts run() reads)"
				       : "%s: 'reads' must be a list of fact ids", chunk);
	}
	lua_pop(L, 1);
	e->code = TR_OK;
	meta->reads = string_list(L, env, "reads", &meta->nreads, chunk, e);
	if (e->code == TR_OK)
		meta->sources = string_list(L, env, "sources", &meta->nsources, chunk, e);
	if (e->code != TR_OK) {
		rules_meta_free(meta);
		return TR_ERR;
	}
	raw_field(L, env, "enabled");
	if (!lua_isnil(L, -1) && !lua_isboolean(L, -1)) {
		lua_pop(L, 1);
		rules_meta_free(meta);
		return tr_fail(e, TR_ERR, "%s: 'enabled' must be true or false", chunk);
	}
	meta->enabled = lua_isnil(L, -1) || lua_toboolean(L, -1);
	lua_pop(L, 1);
	return TR_OK;
}

void rules_meta_free(rule_meta *meta)
{
	for (int i = 0; i < meta->nreads; i++)
		free(meta->reads[i]);
	for (int i = 0; i < meta->nsources; i++)
		free(meta->sources[i]);
	free(meta->reads);
	free(meta->sources);
	free(meta->description);
	memset(meta, 0, sizeof *meta);
}

int rules_check(const char *chunk, const char *src, rule_meta *meta, tr_err *e)
{
	rules R = {0};
	int rc;

	memset(meta, 0, sizeof *meta);
	R.cur = -1;
	if (open_state(&R, e) != TR_OK)
		return TR_ERR;
	rc = load_chunk(&R, chunk, src, e);
	if (rc == TR_OK)
		rc = read_meta(&R, chunk, meta, e);
	lua_close(R.L);
	return rc;
}

/* ---- the facts a rule sees ---- */

static int facts_index(lua_State *L)
{
	rules *R = self(L);
	int r = (int)lua_tointeger(L, lua_upvalueindex(1));
	const char *id = lua_tostring(L, 2);
	const tr_rule *rule = &R->m->rules[r];
	int f = id ? model_fact(R->m, id) : -1;

	if (f < 0)
		return luaL_error(L, "unknown fact '%s'", id ? id : "?");
	for (int i = 0; i < rule->nreads; i++)
		if (rule->reads[i] == f) {
			if (R->facts && R->facts[f])
				lua_pushstring(L, R->facts[f]);
			else
				lua_pushnil(L);
			return 1;
		}
	return luaL_error(L, "fact '%s' is not in this rule's reads", id);
}

static int facts_pairs(lua_State *L)
{
	return luaL_error(L, "the facts table cannot be iterated; read the facts named in reads");
}

static void push_facts_view(lua_State *L, int r)
{
	lua_newtable(L);
	lua_createtable(L, 0, 4);
	lua_pushinteger(L, r);
	lua_pushcclosure(L, facts_index, 1);
	lua_setfield(L, -2, "__index");
	lua_pushcfunction(L, deny_write);
	lua_setfield(L, -2, "__newindex");
	lua_pushcfunction(L, facts_pairs);
	lua_setfield(L, -2, "__pairs");
	lua_pushboolean(L, 0);
	lua_setfield(L, -2, "__metatable");
	lua_setmetatable(L, -2);
}

int rules_open(const tr_model *m, rules **out, tr_err *e)
{
	rules *R = xcalloc(1, sizeof *R);
	size_t n = (size_t)m->nrules + 1;

	R->m = m;
	R->cur = -1;
	R->nrules = m->nrules;
	R->on = xcalloc(n, sizeof *R->on);
	R->off_why = xcalloc(n, sizeof *R->off_why);
	R->chunk = xcalloc(n, sizeof *R->chunk);
	R->fview = xcalloc(n, sizeof *R->fview);
	if (open_state(R, e) != TR_OK) {
		rules_close(R);
		return TR_ERR;
	}
	for (int r = 0; r < m->nrules; r++) {
		R->on[r] = m->rules[r].enabled;
		if (!R->on[r])
			R->off_why[r] = xstrdup("disabled in the knowledge base");
	}
	*out = R;
	return TR_OK;
}

/* Compiles rule r on its first run and checks it defines run(); a rule
 * that fails is switched off with the reason in e. */
static int ensure_loaded(rules *R, int r, tr_err *e)
{
	char chunk[128];

	if (R->chunk[r])
		return TR_OK;
	snprintf(chunk, sizeof chunk, "rules/%s.lua", R->m->rules[r].id);
	if (compile(R, chunk, R->m->rules[r].source, e) != TR_OK)
		goto off;
	lua_pushvalue(R->L, -1);
	R->chunk[r] = luaL_ref(R->L, LUA_REGISTRYINDEX);
	if (instantiate(R, chunk, e) != TR_OK)
		goto off;
	raw_field(R->L, -1, "run");
	if (!lua_isfunction(R->L, -1)) {
		lua_pop(R->L, 2);
		tr_fail(e, TR_ERR, "%s: missing 'run'", chunk);
		goto off;
	}
	lua_pop(R->L, 2);
	push_facts_view(R->L, r);
	R->fview[r] = luaL_ref(R->L, LUA_REGISTRYINDEX);
	return TR_OK;
off:
	{
		char msg[sizeof e->msg];

		snprintf(msg, sizeof msg, "%s", e->msg);
		tr_fail(e, TR_ERR, "rule %s: %s", R->m->rules[r].id, msg);
	}
	rules_disable(R, r, e->msg);
	return TR_ERR;
}

void rules_close(rules *R)
{
	if (!R)
		return;
	if (R->L)
		lua_close(R->L);
	for (int r = 0; r < R->nrules; r++)
		free(R->off_why[r]);
	free(R->on);
	free(R->off_why);
	free(R->chunk);
	free(R->fview);
	free(R);
}

int rules_active(const rules *R, int r, const char **why)
{
	if (why)
		*why = R->off_why[r];
	return R->on[r];
}

void rules_disable(rules *R, int r, const char *why)
{
	R->on[r] = 0;
	free(R->off_why[r]);
	R->off_why[r] = xstrdup(why);
}

void rules_effects_clear(rule_effects *fx)
{
	for (int i = 0; i < fx->n; i++) {
		free(fx->v[i].slot);
		free(fx->v[i].text);
		free(fx->v[i].why);
	}
	fx->n = 0;
}

void rules_effects_free(rule_effects *fx)
{
	rules_effects_clear(fx);
	free(fx->v);
	fx->v = NULL;
	fx->cap = 0;
}

int rules_run(rules *R, int r, const char *const *facts, rule_effects *out,
	      long *cost, tr_err *e)
{
	char who[128], chunk[128];
	int rc;

	rules_effects_clear(out);
	if (!R->on[r])
		return tr_fail(e, TR_ERR, "rule %s is off: %s", R->m->rules[r].id,
			       R->off_why[r] ? R->off_why[r] : "");
	if (ensure_loaded(R, r, e) != TR_OK)
		return TR_ERR;
	snprintf(who, sizeof who, "rule %s", R->m->rules[r].id);
	snprintf(chunk, sizeof chunk, "rules/%s.lua", R->m->rules[r].id);
	R->cur = r;
	R->facts = facts;
	R->out = out;
	lua_rawgeti(R->L, LUA_REGISTRYINDEX, R->chunk[r]);
	rc = instantiate(R, chunk, e);
	if (rc == TR_OK) {
		raw_field(R->L, -1, "run");
		lua_remove(R->L, -2);
		lua_rawgeti(R->L, LUA_REGISTRYINDEX, R->fview[r]);
		rc = call(R, 1, PHASE_RUN, who, e);
	}
	if (cost)
		*cost = R->steps;
	R->cur = -1;
	R->facts = NULL;
	R->out = NULL;
	if (rc != TR_OK) {
		rules_effects_clear(out);
		rules_disable(R, r, e->msg);
	}
	return rc;
}
