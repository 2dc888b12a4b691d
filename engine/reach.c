/*
 * reach.c: reach names, and what a question or a fix needs (see reach.h).
 * The mapping between the knowledge base's askers and places and the
 * names people type lives here and nowhere else.
 */
#include <stdio.h>
#include <string.h>
#include "reach.h"

const char *const reach_names[] = {"client", "host", "portal", "network", "gateway", "admin"};

int reach_parse(const char *list, unsigned *out, tr_err *e)
{
	unsigned r = 0;
	const char *p = list ? list : "", *whole = p;

	for (;;) {
		size_t n;
		int k;

		p += strspn(p, " \t");
		n = strcspn(p, ",");
		while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			n--;
		if (n == 0)
			return tr_fail(e, TR_EUSAGE, "%s (a reach is some of all, client, host, portal, "
				       "network, gateway, admin, separated by commas)",
				       *whole ? "an empty name in the reach list" : "the reach list is empty");
		for (k = 0; k < REACH_NNAMES; k++)
			if (strlen(reach_names[k]) == n && strncmp(p, reach_names[k], n) == 0)
				break;
		if (k < REACH_NNAMES)
			r |= 1u << k;
		else if (n == 3 && strncmp(p, "all", 3) == 0)
			r |= REACH_ALL;
		else
			return tr_fail(e, TR_EUSAGE, "unknown reach '%.*s' (a reach is some of all, client, host, "
				       "portal, network, gateway, admin, separated by commas)", (int)(n > 64 ? 64 : n), p);
		p = strchr(p, ',');
		if (!p)
			break;
		p++;
	}
	*out = r;
	return TR_OK;
}

const char *reach_format(unsigned r, char *out, size_t n)
{
	size_t len = 0;

	if (n == 0)
		return out;
	out[0] = '\0';
	if ((r & REACH_ALL) == REACH_ALL) {
		snprintf(out, n, "all");
		return out;
	}
	for (int k = 0; k < REACH_NNAMES; k++)
		if (r & (1u << k)) {
			int w = snprintf(out + len, n - len, "%s%s", len ? "," : "", reach_names[k]);

			if (w < 0 || (size_t)w >= n - len)
				break;
			len += (size_t)w;
		}
	return out;
}

unsigned reach_asker(const char *asker)
{
	static const char *const askers[] = {"client", "host_admin", "cloud_admin", "network_admin"};
	static const unsigned bits[] = {REACH_CLIENT, REACH_HOST, REACH_PORTAL, REACH_NETWORK};

	for (size_t i = 0; i < sizeof askers / sizeof *askers; i++)
		if (strcmp(asker, askers[i]) == 0)
			return bits[i];
	return REACH_ALL;
}

unsigned reach_place(const char *on)
{
	static const char *const places[] = {"client", "host", "portal", "router", "gateway"};
	static const unsigned bits[] = {REACH_CLIENT, REACH_HOST, REACH_PORTAL, REACH_NETWORK, REACH_GATEWAY};

	for (size_t i = 0; i < sizeof places / sizeof *places; i++)
		if (strcmp(on, places[i]) == 0)
			return bits[i];
	return REACH_ALL;
}

int reach_fact(const tr_model *m, unsigned r, int f)
{
	unsigned need = reach_asker(m->facts[f].asker);

	return (need & ~r) == 0;
}

unsigned reach_needs(const tr_model *m, int x, const int *obs)
{
	const tr_fix *fix = &m->fixes[x];
	unsigned need = 0;

	for (int i = 0; i < fix->ncmds; i++)
		if (!obs || model_where(m, &fix->cmds[i].applies, obs) != 0)
			need |= reach_place(fix->cmds[i].on);
	if (need == 0)
		need = REACH_CLIENT;
	if (fix->admin && (need & REACH_CLIENT))
		need |= REACH_ADMIN;
	return need;
}

int reach_fix(const tr_model *m, unsigned r, int x, const int *obs)
{
	return (reach_needs(m, x, obs) & ~r) == 0;
}
