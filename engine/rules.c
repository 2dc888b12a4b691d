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
#include <limits.h>
#include <lua.h>
#include <lualib.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "buf.h"
#include "luapat.h"
#include "rules.h"
#include "text.h"

#define HOOK_EVERY 1000
#define MAX_TEXT 1024            /* longest text an effect may carry */
/* A backstop for the work no meter sees: Lua instructions whose cost grows
 * with their operands (comparing two long strings, passing a hundred
 * thousand values through "..."). Checked by the count hook in CPU time,
 * counted from the hook's first call (HOOK_EVERY instructions in): reading
 * the clock at every call's start was a tenth of a build. */
#define RULES_CPU_MS 3000

enum phase { PHASE_IDLE, PHASE_LOAD, PHASE_RUN };

struct rules {
	lua_State *L;
	const tr_model *m;       /* NULL in rules_check */
	size_t used, limit;      /* bytes the state holds, and may hold now */
	long steps;              /* instructions and C work charged to this call */
	int killed;              /* the budget ran out during this call: 1, CPU time: 2 */
	size_t mark;             /* used when the rule's chunk started loading */
	struct timespec t0;      /* CPU time at this call's first hook (tv_sec < 0: none yet) */
	long cpu_ms;             /* the backstop: RULES_CPU_MS, or TRIAGE_RULES_CPU_MS */
	char oom_where[160];     /* "file:line: " of the last refused allocation */
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

static void hook(lua_State *L, lua_Debug *ar);

/* Notes where the running rule was when an allocation was refused, for the
 * memory error (Lua raises it without a position). Reads debug information
 * only; allocates nothing. */
static void oom_where(rules *R)
{
	lua_Debug ar;

	if (!R->L || R->phase == PHASE_IDLE)
		return;
	for (int level = 0; lua_getstack(R->L, level, &ar); level++)
		if (lua_getinfo(R->L, "Sl", &ar) && ar.currentline > 0) {
			snprintf(R->oom_where, sizeof R->oom_where, "%s:%d: ", ar.short_src, ar.currentline);
			return;
		}
}

static long cpu_ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return (long)(t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
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
	if (nsize > osize && R->used + (nsize - osize) > R->limit) {
		oom_where(R);
		return NULL;
	}
	p = realloc(ptr, nsize);
	if (p)
		R->used = R->used - osize + nsize;
	if (p && nsize > osize && R->phase != PHASE_IDLE) {
		/* memory written is work done: one unit per 64 bytes allocated,
		 * checked at the next instruction (no error can be raised here) */
		R->steps += (long)((nsize - osize) / 64);
		if (R->steps > RULES_BUDGET && !R->killed)
			lua_sethook(R->L, hook, LUA_MASKCOUNT, 1);
	}
	return p;
}

static void hook(lua_State *L, lua_Debug *ar)
{
	rules *R = self(L);

	if (!R->killed) {
		R->steps += HOOK_EVERY;
		if (R->t0.tv_sec < 0)
			clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &R->t0);
		if (R->steps > RULES_BUDGET)
			R->killed = 1;
		else if (cpu_ms_since(&R->t0) > R->cpu_ms)
			R->killed = 2;
		else
			return;
		lua_sethook(L, hook, LUA_MASKCOUNT, 1);
	}
	/* name the line that was running, not its caller (luaL_where(L, 1)) */
	if (lua_getstack(L, 0, ar) && lua_getinfo(L, "Sl", ar) && ar->currentline > 0)
		lua_pushfstring(L, "%s:%d: ", ar->short_src, ar->currentline);
	else
		lua_pushliteral(L, "");
	if (R->killed == 2)
		lua_pushfstring(L, "time limit exceeded (%d ms of CPU)", (int)R->cpu_ms);
	else
		lua_pushfstring(L, "instruction budget exceeded (%d instructions)", RULES_BUDGET);
	lua_concat(L, 2);
	lua_error(L);
}

/* ---- metering: work done in C is charged to the same budget ---- */

/* Pushes "file:line: " of the innermost Lua function at or above level,
 * or "" when there is none. */
static void push_where(lua_State *L, int level)
{
	lua_Debug ar;

	for (; lua_getstack(L, level, &ar); level++)
		if (lua_getinfo(L, "Sl", &ar) && ar.currentline > 0) {
			lua_pushfstring(L, "%s:%d: ", ar.short_src, ar.currentline);
			return;
		}
	lua_pushliteral(L, "");
}

/* Raises the budget error from C, and arms the hook to raise it again on
 * every instruction so that a pcall in the rule cannot swallow it. */
static int budget_spent(lua_State *L)
{
	rules *R = self(L);

	R->killed = 1;
	lua_sethook(L, hook, LUA_MASKCOUNT, 1);
	push_where(L, 1);
	lua_pushfstring(L, "instruction budget exceeded (%d instructions)", RULES_BUDGET);
	lua_concat(L, 2);
	return lua_error(L);
}

/* Charges n units of work done in C to the running call. */
static void charge(lua_State *L, long n)
{
	rules *R = self(L);

	if (R->phase == PHASE_IDLE)
		return;
	R->steps += n;
	if (R->steps > RULES_BUDGET || R->killed)
		budget_spent(L);
}

/* Bytes held by the running rule's tables and strings: what it allocated
 * since its chunk started loading, an upper bound on any table's size. */
static long held(const rules *R)
{
	return R->used > R->mark ? (long)(R->used - R->mark) : 0;
}

static long string_bytes(lua_State *L, int from, int to)
{
	long n = 0;

	for (int i = from; i <= to; i++)
		if (lua_type(L, i) == LUA_TSTRING)
			n += (long)lua_rawlen(L, i);
	return n;
}

/* How a wrapped library function's work is measured (wrapped()). Every
 * kind also pays one unit per call, one per 8 values in or out and one per
 * 64 bytes of strings in or out. */
enum cost {
	COST_RAW,        /* not wrapped: constant work */
	COST_BYTES,      /* work proportional to the strings and values in and out */
	COST_NEXT,       /* next(): may scan a sparse table's empty slots */
	COST_SHIFT,      /* table.insert/remove: moves the elements after pos */
	COST_CONCAT,     /* table.concat: one step per element joined */
	COST_CODES,      /* utf8.codes: returns a metered iterator */
	COST_ITER,       /* the utf8.codes iterator: the bytes it skipped */
};

/* table.insert(t, pos, v) / table.remove(t, pos): the elements moved. */
static long shift_cost(lua_State *L, int top)
{
	lua_Integer len, pos;
	int pi = top == 3 ? 2 : top == 2 ? 2 : 0;

	if (!pi || lua_type(L, 1) != LUA_TTABLE || !lua_isinteger(L, pi))
		return 0;
	if (top == 2 && lua_type(L, 2) != LUA_TNUMBER)
		return 0;
	len = (lua_Integer)lua_rawlen(L, 1);
	pos = lua_tointeger(L, pi);
	return pos >= 1 && pos <= len ? 2 * (long)(len - pos + 1) : 0;
}

static void wrap(lua_State *L, enum cost kind);

/* A library function called through its meter: upvalue 1 is the real C
 * function, upvalue 2 the cost kind. The real function runs in this
 * frame (called directly, not through lua_call), so its errors name the
 * rule's line and its argument errors the function's name as the rule
 * wrote it. None of the wrapped functions uses upvalues of its own. */
static int wrapped(lua_State *L)
{
	lua_CFunction fn = lua_tocfunction(L, lua_upvalueindex(1));
	enum cost kind = (enum cost)lua_tointeger(L, lua_upvalueindex(2));
	int top = lua_gettop(L), n;
	long pre = 1 + top / 8, post, from = 0, joined = 0;

	if (kind == COST_NEXT)
		pre += held(self(L)) / 1024;
	else if (kind == COST_ITER)
		from = (long)lua_tointeger(L, 2);
	else
		pre += string_bytes(L, 1, top) / 64;
	if (kind == COST_SHIFT)
		pre += shift_cost(L, top);
	if (kind == COST_CONCAT && lua_type(L, 1) == LUA_TTABLE && top <= 4) {
		/* the elements joined, read before the call pushes over its arguments */
		lua_Integer i = lua_isinteger(L, 3) ? lua_tointeger(L, 3) : 1;
		lua_Integer j = lua_isinteger(L, 4) ? lua_tointeger(L, 4) : (lua_Integer)lua_rawlen(L, 1);

		joined = j >= i && j - i < LONG_MAX / 4 ? (long)(j - i) + 1 : 0;
	}
	charge(L, pre);
	n = fn(L);
	top = lua_gettop(L);
	post = n / 8 + string_bytes(L, top - n + 1, top) / 64;
	if (kind == COST_ITER)
		post += (n ? (long)lua_tointeger(L, top - 1) : (long)lua_rawlen(L, 1)) - from;
	post += joined;
	if (kind == COST_CODES && n >= 1 && lua_iscfunction(L, top - n + 1)) {
		lua_pushvalue(L, top - n + 1);
		wrap(L, COST_ITER);
		lua_replace(L, top - n + 1);
	}
	charge(L, post < 0 ? 0 : post);
	return n;
}

/* Replaces the C function at the top with its metered wrapper. */
static void wrap(lua_State *L, enum cost kind)
{
	if (kind == COST_RAW || !lua_iscfunction(L, -1))
		return;
	lua_pushinteger(L, kind);
	lua_pushcclosure(L, wrapped, 2);
}

/* The default comparison of table.sort, metered: long strings compare in
 * time proportional to their length. */
static int sort_less(lua_State *L)
{
	long n = 1;

	if (lua_type(L, 1) == LUA_TSTRING && lua_type(L, 2) == LUA_TSTRING) {
		size_t a = lua_rawlen(L, 1), b = lua_rawlen(L, 2);

		n += (long)(a < b ? a : b) / 64;
	} else if (!(lua_type(L, 1) == LUA_TNUMBER && lua_type(L, 2) == LUA_TNUMBER)) {
		push_where(L, 1);
		lua_pushfstring(L, "attempt to compare %s with %s", luaL_typename(L, 1), luaL_typename(L, 2));
		lua_concat(L, 2);
		return lua_error(L);
	}
	charge(L, n);
	lua_pushboolean(L, lua_compare(L, 1, 2, LUA_OPLT));
	return 1;
}

/* table.sort(t [, comp]): the real sort with every comparison metered (a
 * comparison written in Lua is metered by the hook). Upvalue 1: the real sort. */
static int safe_sort(lua_State *L)
{
	lua_CFunction fn = lua_tocfunction(L, lua_upvalueindex(1));

	luaL_checktype(L, 1, LUA_TTABLE);
	charge(L, 1 + (long)lua_rawlen(L, 1) / 8);
	if (lua_isnoneornil(L, 2)) {
		lua_settop(L, 1);
		lua_pushcfunction(L, sort_less);
	}
	return fn(L);
}

/* pairs(t): next, t, nil with the metered next (upvalue 1); a __pairs
 * metamethod (the facts view refuses iteration) is honoured. */
static int safe_pairs(lua_State *L)
{
	luaL_checkany(L, 1);
	if (luaL_getmetafield(L, 1, "__pairs") != LUA_TNIL) {
		lua_pushvalue(L, 1);
		lua_call(L, 1, 3);
		return 3;
	}
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_pushvalue(L, 1);
	lua_pushnil(L);
	return 3;
}

/* string.rep without its flaw: with an empty string and separator the
 * library loops n times in C. The result is built in Lua's own buffer, so
 * a memory error holds no C memory; its size is charged before. */
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
	charge(L, 1 + (long)((size_t)n * (l + lsep) / 64));
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

/* ---- pattern matching on luapat.c: every step metered ---- */

static void pat_start(lua_State *L, lpat_state *ms, const char *s, size_t ls, const char *p, size_t lp)
{
	lpat_init(ms, s, ls, p, lp, &self(L)->steps, RULES_BUDGET);
	if (self(L)->phase == PHASE_IDLE)
		ms->limit = LONG_MAX;
}

/* Raises the error a matcher stopped with. */
static int pat_raise(lua_State *L, const lpat_state *ms)
{
	if (ms->status == LPAT_EBUDGET)
		return budget_spent(L);
	return luaL_error(L, "%s", ms->msg);
}

/* Pushes capture i of a match s..e (the whole match when the pattern has
 * no captures and i is 0). */
static void push_capture(lua_State *L, const lpat_state *ms, int i, const char *s, const char *e)
{
	if (i >= ms->level) {
		if (i != 0)
			luaL_error(L, "invalid capture index %%%d", i + 1);
		lua_pushlstring(L, s, (size_t)(e - s));
	} else if (ms->cap[i].len == LPAT_OPEN) {
		luaL_error(L, "unfinished capture");
	} else if (ms->cap[i].len == LPAT_POSITION) {
		lua_pushinteger(L, (lua_Integer)(ms->cap[i].init - ms->src) + 1);
	} else {
		lua_pushlstring(L, ms->cap[i].init, (size_t)ms->cap[i].len);
	}
}

/* Pushes every capture (or the whole match s..e when there are none and s
 * is not NULL); returns how many. */
static int push_captures(lua_State *L, const lpat_state *ms, const char *s, const char *e)
{
	int n = ms->level == 0 && s ? 1 : ms->level;

	luaL_checkstack(L, n, "too many captures");
	for (int i = 0; i < n; i++)
		push_capture(L, ms, i, s, e);
	return n;
}

/* Lua's rule for a start position: negative counts from the end. */
static size_t start_at(lua_Integer pos, size_t len)
{
	if (pos > 0)
		return (size_t)pos;
	if (pos == 0 || pos < -(lua_Integer)len)
		return 1;
	return len + (size_t)pos + 1;
}

static int find_or_match(lua_State *L, int find)
{
	size_t ls, lp;
	const char *s = luaL_checklstring(L, 1, &ls);
	const char *p = luaL_checklstring(L, 2, &lp);
	size_t init = start_at(luaL_optinteger(L, 3, 1), ls) - 1;
	lpat_state ms;

	if (init > ls) {
		luaL_pushfail(L);
		return 1;
	}
	if (find && (lua_toboolean(L, 4) || !lpat_has_specials(p, lp))) {
		const char *hit;

		pat_start(L, &ms, s, ls, p, lp);
		hit = lpat_find_plain(&ms, s + init, ls - init, p, lp);
		if (ms.status != LPAT_OK)
			return pat_raise(L, &ms);
		if (hit) {
			lua_pushinteger(L, (lua_Integer)(hit - s) + 1);
			lua_pushinteger(L, (lua_Integer)(hit - s + (ptrdiff_t)lp));
			return 2;
		}
	} else {
		int anchor = lp > 0 && *p == '^';
		const char *s1 = s + init;

		pat_start(L, &ms, s, ls, p + anchor, lp - (size_t)anchor);
		do {
			const char *e = lpat_match(&ms, s1);

			if (ms.status != LPAT_OK)
				return pat_raise(L, &ms);
			if (e && find) {
				lua_pushinteger(L, (lua_Integer)(s1 - s) + 1);
				lua_pushinteger(L, (lua_Integer)(e - s));
				return push_captures(L, &ms, NULL, NULL) + 2;
			}
			if (e)
				return push_captures(L, &ms, s1, e);
		} while (s1++ < ms.src_end && !anchor);
	}
	luaL_pushfail(L);
	return 1;
}

static int safe_find(lua_State *L)
{
	return find_or_match(L, 1);
}

static int safe_match(lua_State *L)
{
	return find_or_match(L, 0);
}

/* The gmatch iterator; upvalues: subject, pattern, where to go on, the end
 * of the last match (-1 none). The arguments a caller passes are ignored. */
static int gmatch_next(lua_State *L)
{
	size_t ls, lp;
	const char *s = lua_tolstring(L, lua_upvalueindex(1), &ls);
	const char *p = lua_tolstring(L, lua_upvalueindex(2), &lp);
	size_t pos = (size_t)lua_tointeger(L, lua_upvalueindex(3));
	lua_Integer last = lua_tointeger(L, lua_upvalueindex(4));
	lpat_state ms;

	pat_start(L, &ms, s, ls, p, lp);
	for (const char *src = s + pos; src <= ms.src_end; src++) {
		const char *e = lpat_match(&ms, src);

		if (ms.status != LPAT_OK)
			return pat_raise(L, &ms);
		if (e && (last < 0 || e != s + last)) {
			lua_pushinteger(L, (lua_Integer)(e - s));
			lua_replace(L, lua_upvalueindex(3));
			lua_pushinteger(L, (lua_Integer)(e - s));
			lua_replace(L, lua_upvalueindex(4));
			return push_captures(L, &ms, src, e);
		}
	}
	return 0;
}

static int safe_gmatch(lua_State *L)
{
	size_t ls;
	size_t init;

	luaL_checklstring(L, 1, &ls);
	init = start_at(luaL_optinteger(L, 3, 1), ls) - 1;

	luaL_checkstring(L, 2);
	lua_settop(L, 2);
	lua_pushinteger(L, init > ls ? (lua_Integer)ls + 1 : (lua_Integer)init);
	lua_pushinteger(L, -1);
	lua_pushcclosure(L, gmatch_next, 4);
	return 1;
}

/* Appends the replacement string (argument 3) for the match s..e. */
static void add_string(lua_State *L, const lpat_state *ms, luaL_Buffer *b, const char *s, const char *e)
{
	size_t l;
	const char *r = lua_tolstring(L, 3, &l);

	charge(L, 1 + (long)l / 64);
	for (size_t i = 0; i < l; i++) {
		if (r[i] != '%') {
			luaL_addchar(b, r[i]);
			continue;
		}
		i++;
		if (i < l && r[i] == '%') {
			luaL_addchar(b, '%');
		} else if (i < l && r[i] == '0') {
			luaL_addlstring(b, s, (size_t)(e - s));
		} else if (i < l && r[i] >= '1' && r[i] <= '9') {
			push_capture(L, ms, r[i] - '1', s, e);
			luaL_tolstring(L, -1, NULL);
			lua_remove(L, -2);
			luaL_addvalue(b);
		} else {
			luaL_error(L, "invalid use of '%c' in replacement string", '%');
		}
	}
}

static void add_value(lua_State *L, const lpat_state *ms, luaL_Buffer *b, const char *s,
		      const char *e, int type)
{
	if (type == LUA_TFUNCTION) {
		int n;

		lua_pushvalue(L, 3);
		n = push_captures(L, ms, s, e);
		lua_call(L, n, 1);
	} else if (type == LUA_TTABLE) {
		push_capture(L, ms, 0, s, e);
		lua_gettable(L, 3);
	} else {
		add_string(L, ms, b, s, e);
		return;
	}
	if (!lua_toboolean(L, -1)) {
		lua_pop(L, 1);
		luaL_addlstring(b, s, (size_t)(e - s));
	} else if (!lua_isstring(L, -1)) {
		luaL_error(L, "invalid replacement value (a %s)", luaL_typename(L, -1));
	} else {
		luaL_addvalue(b);
	}
}

static int safe_gsub(lua_State *L)
{
	size_t ls, lp;
	const char *src = luaL_checklstring(L, 1, &ls);
	const char *p = luaL_checklstring(L, 2, &lp);
	int type = lua_type(L, 3);
	lua_Integer max = luaL_optinteger(L, 4, (lua_Integer)ls + 1), n = 0;
	int anchor = lp > 0 && *p == '^';
	const char *last = NULL;
	lpat_state ms;
	luaL_Buffer b;

	luaL_argexpected(L, type == LUA_TNUMBER || type == LUA_TSTRING || type == LUA_TFUNCTION ||
			 type == LUA_TTABLE, 3, "string/function/table");
	luaL_buffinit(L, &b);
	pat_start(L, &ms, src, ls, p + anchor, lp - (size_t)anchor);
	while (n < max) {
		const char *e = lpat_match(&ms, src);

		if (ms.status != LPAT_OK)
			return pat_raise(L, &ms);
		if (e && e != last) {
			n++;
			add_value(L, &ms, &b, src, e, type);
			src = last = e;
		} else if (src < ms.src_end) {
			luaL_addchar(&b, *src++);
		} else {
			break;
		}
		if (anchor)
			break;
	}
	charge(L, (long)(ms.src_end - src) / 64);
	luaL_addlstring(&b, src, (size_t)(ms.src_end - src));
	luaL_pushresult(&b);
	lua_pushinteger(L, n);
	return 2;
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

/* A library function a rule may call, and how its work is metered. */
typedef struct {
	const char *name;
	enum cost cost;
} lib_fn;

/* Copies the named fields of the library table at index lib into a new
 * table, each C function behind its meter, and leaves it on the stack. */
static void copy_lib(lua_State *L, int lib, const lib_fn *fns)
{
	lib = lua_absindex(L, lib);
	lua_newtable(L);
	for (int i = 0; fns[i].name; i++) {
		lua_getfield(L, lib, fns[i].name);
		wrap(L, fns[i].cost);
		lua_setfield(L, -2, fns[i].name);
	}
}

/* Sets field name of the table at the top to the C function fn, with the
 * real library function lib[name] as its upvalue (or none when lib is 0). */
static void set_own(lua_State *L, int lib, const char *name, lua_CFunction fn)
{
	if (lib) {
		lua_getfield(L, lib, name);
		lua_pushcclosure(L, fn, 1);
	} else {
		lua_pushcfunction(L, fn);
	}
	lua_setfield(L, -2, name);
}

/* ---- the effect API ---- */

static rules *running(lua_State *L, const char *fn)
{
	rules *R = self(L);

	if (R->phase != PHASE_RUN || !R->m)
		luaL_error(L, "%s() can only be called inside run()", fn);
	return R;
}

/* Raises when text s[0..n) is not inert (text_inert): a rule's text is
 * shown to people and pasted into shells. */
static void check_inert(lua_State *L, const char *s, size_t n, const char *what)
{
	char why[96];

	if (strlen(s) != n)
		luaL_error(L, "%s contains a NUL character", what);
	if (text_inert(s, NULL, why, sizeof why) != 0)
		luaL_error(L, "%s contains %s", what, why);
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
	check_inert(L, s, n, what);
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
	check_inert(L, value, lua_rawlen(L, 2), "derive: value");
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
	static const lib_fn base_fns[] = {
		{"assert", COST_BYTES}, {"error", COST_RAW}, {"ipairs", COST_RAW},
		{"next", COST_NEXT}, {"pcall", COST_RAW}, {"select", COST_BYTES},
		{"tonumber", COST_BYTES}, {"tostring", COST_BYTES}, {"type", COST_RAW},
		{"rawequal", COST_RAW}, {"rawlen", COST_RAW}, {NULL, COST_RAW},
	};
	static const lib_fn string_fns[] = {
		{"byte", COST_BYTES}, {"char", COST_BYTES}, {"format", COST_BYTES},
		{"len", COST_RAW}, {"lower", COST_BYTES}, {"reverse", COST_BYTES},
		{"sub", COST_BYTES}, {"upper", COST_BYTES}, {NULL, COST_RAW},
	};
	static const lib_fn table_fns[] = {
		{"concat", COST_CONCAT}, {"insert", COST_SHIFT}, {"pack", COST_BYTES},
		{"remove", COST_SHIFT}, {"unpack", COST_BYTES}, {NULL, COST_RAW},
	};
	static const lib_fn math_fns[] = {
		{"abs", COST_RAW}, {"ceil", COST_RAW}, {"exp", COST_RAW}, {"floor", COST_RAW},
		{"fmod", COST_RAW}, {"log", COST_RAW}, {"max", COST_BYTES}, {"min", COST_BYTES},
		{"modf", COST_RAW}, {"sqrt", COST_RAW}, {"tointeger", COST_RAW}, {"type", COST_RAW},
		{"ult", COST_RAW}, {"huge", COST_RAW}, {"pi", COST_RAW}, {"maxinteger", COST_RAW},
		{"mininteger", COST_RAW}, {NULL, COST_RAW},
	};
	static const lib_fn utf8_fns[] = {
		{"char", COST_BYTES}, {"charpattern", COST_RAW}, {"codepoint", COST_BYTES},
		{"codes", COST_CODES}, {"len", COST_BYTES}, {"offset", COST_BYTES}, {NULL, COST_RAW},
	};
	static const struct { const char *name; lua_CFunction fn; } api[] = {
		{"derive", api_derive}, {"hide", api_hide}, {"scale", api_scale},
		{"fill", api_fill}, {"warn", api_warn}, {"exclude", api_exclude},
	};
	int g;

	lua_newtable(L);  /* base */
	lua_pushglobaltable(L);
	g = lua_gettop(L);
	for (int i = 0; base_fns[i].name; i++) {
		lua_getfield(L, g, base_fns[i].name);
		wrap(L, base_fns[i].cost);
		lua_setfield(L, -3, base_fns[i].name);
	}
	lua_getfield(L, -2, "next");     /* pairs hands out the metered next */
	lua_pushcclosure(L, safe_pairs, 1);
	lua_setfield(L, -3, "pairs");
	lua_getfield(L, -1, "string");
	copy_lib(L, -1, string_fns);
	set_own(L, 0, "rep", safe_rep);
	set_own(L, 0, "find", safe_find);
	set_own(L, 0, "match", safe_match);
	set_own(L, 0, "gmatch", safe_gmatch);
	set_own(L, 0, "gsub", safe_gsub);
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
	set_own(L, lua_absindex(L, -2), "sort", safe_sort);
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
	const char *cpu = getenv("TRIAGE_RULES_CPU_MS");

	/* tools that run everything 30 times slower (valgrind) raise it */
	R->cpu_ms = cpu && atol(cpu) > 0 ? atol(cpu) : RULES_CPU_MS;
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

/* The message handler: a traceback, and the position of the innermost Lua
 * function when the error carries none (error(x, 0), error({})). */
static int traceback(lua_State *L)
{
	const char *msg = lua_tostring(L, 1);
	lua_Debug ar;

	if (!msg)
		msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
	for (int level = 1; lua_getstack(L, level, &ar); level++)
		if (lua_getinfo(L, "Sl", &ar) && ar.currentline > 0) {
			if (strncmp(msg, ar.short_src, strlen(ar.short_src)) != 0)
				msg = lua_pushfstring(L, "%s:%d: %s", ar.short_src, ar.currentline, msg);
			break;
		}
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
	R->oom_where[0] = 0;
	if (phase == PHASE_LOAD)
		R->mark = R->used;
	R->t0.tv_sec = -1;  /* read at the first hook: most runs never reach it */
	R->limit = R->used + RULES_MEMORY;
	lua_sethook(L, hook, LUA_MASKCOUNT, HOOK_EVERY);
	rc = lua_pcall(L, nargs, 0, base);
	lua_sethook(L, NULL, 0, 0);
	R->phase = PHASE_IDLE;
	if (rc != LUA_OK) {
		const char *msg = lua_tostring(L, -1);
		const char *nl;
		char line[512];

		if (rc == LUA_ERRMEM || (msg && strcmp(msg, "not enough memory") == 0))
			snprintf(line, sizeof line, "%smemory limit exceeded (%u MiB)", R->oom_where,
				 RULES_MEMORY >> 20);
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

int rules_checker_open(rules **out, tr_err *e)
{
	rules *R = xcalloc(1, sizeof *R);

	R->cur = -1;
	if (open_state(R, e) != TR_OK) {
		rules_close(R);
		return TR_ERR;
	}
	*out = R;
	return TR_OK;
}

int rules_check_in(rules *R, const char *chunk, const char *src, rule_meta *meta, tr_err *e)
{
	int top = lua_gettop(R->L), rc;

	memset(meta, 0, sizeof *meta);
	rc = load_chunk(R, chunk, src, e);
	if (rc == TR_OK)
		rc = read_meta(R, chunk, meta, e);
	lua_settop(R->L, top);
	return rc;
}

int rules_check(const char *chunk, const char *src, rule_meta *meta, tr_err *e)
{
	rules *R;
	int rc;

	memset(meta, 0, sizeof *meta);
	if (rules_checker_open(&R, e) != TR_OK)
		return TR_ERR;
	rc = rules_check_in(R, chunk, src, meta, e);
	rules_close(R);
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
