/*
 * reach.h: who is at the keyboard. A reach is the set of places the person
 * can work on (the client computer, the host, the cloud portal, the
 * network's equipment, the RD Gateway) and whether they hold administrator
 * rights on the client. It decides which questions they can answer (a
 * fact's asker) and which fixes they can carry out (where each command
 * runs, and the fix's need for admin rights). Uses model.h.
 */
#ifndef TR_REACH_H
#define TR_REACH_H
#include <stddef.h>
#include "err.h"
#include "model.h"

/* The reach names, one bit each. Reaching the host, the portal, the
 * network or the gateway means reaching it as its administrator (the
 * askers are host_admin, cloud_admin, network_admin); `client` is the
 * client computer as its user, and `admin` adds administrator rights on it. */
enum {
	REACH_CLIENT = 1,   /* the client computer: asker client; commands on client */
	REACH_HOST = 2,     /* the host's console or an admin session: host_admin; on host */
	REACH_PORTAL = 4,   /* the cloud portal: cloud_admin; on portal */
	REACH_NETWORK = 8,  /* routers, firewalls, VPN: network_admin; on router */
	REACH_GATEWAY = 16, /* the RD Gateway server: on gateway */
	REACH_ADMIN = 32,   /* administrator rights on the client */
	REACH_ALL = 63      /* everything: `all`, the default */
};

/* The names in bit order, for help and messages: "client, host, portal,
 * network, gateway, admin". */
extern const char *const reach_names[];
#define REACH_NNAMES 6

/* Parses a comma-separated list of reach names ("client,host", "all";
 * spaces around names are allowed) into *out. TR_EUSAGE naming the bad
 * name (or an empty list) and the accepted ones. */
int reach_parse(const char *list, unsigned *out, tr_err *e);

/* Writes r as the canonical list ("client,host" in bit order, "all") into
 * out (size n); returns out. */
const char *reach_format(unsigned r, char *out, size_t n);

/* The reach bit an asker (client, host_admin, cloud_admin, network_admin)
 * or a place a command runs on (client, host, portal, router, gateway)
 * needs; REACH_ALL for a name it does not know (only `all` reaches it). */
unsigned reach_asker(const char *asker);
unsigned reach_place(const char *on);

/* Whether the person can answer fact f: its asker is in reach. */
int reach_fact(const tr_model *m, unsigned r, int f);

/* What fix x needs for the fact values obs (global value index per fact,
 * -1 unknown; NULL: nothing known): the place of every command that may
 * apply there (a command known not to apply is not needed; one whose
 * conditions are not known yet is), and REACH_ADMIN when the fix needs
 * admin rights and runs on the client. A fix without commands is done at
 * the client. triage cannot tell alternatives apart (a portal Run Command
 * beside the same command on the host), so every command counts. */
unsigned reach_needs(const tr_model *m, int x, const int *obs);

/* Whether fix x is in reach r: every need of reach_needs is in r. */
int reach_fix(const tr_model *m, unsigned r, int x, const int *obs);

#endif
