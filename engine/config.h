/*
 * config.h: the defaults a help desk sets once, in
 * $XDG_CONFIG_HOME/triage/config (else ~/.config/triage/config): the
 * knowledge base, the reach, colour and the technician's name. Each value
 * comes from the command line, else the environment, else the file, else
 * the built-in default, and remembers which (`triage config` shows it).
 * Uses reach.h, paths.h and text.h.
 */
#ifndef TR_CONFIG_H
#define TR_CONFIG_H
#include <stddef.h>
#include "err.h"

enum config_key { CONFIG_KB, CONFIG_REACH, CONFIG_COLOR, CONFIG_TECHNICIAN, CONFIG_NKEYS };
enum config_colour { CONFIG_COLOUR_AUTO, CONFIG_COLOUR_ALWAYS, CONFIG_COLOUR_NEVER };

/* The keys as written in the file ("kb", "reach", "color", "technician"),
 * their flags ("--kb", ...) and environment variables ("TRIAGE_KB", ...),
 * indexed by enum config_key. */
extern const char *const config_keys[], *const config_flags[], *const config_envs[];

typedef struct config_value {
	char value[4096];      /* in effect; "" for none */
	char from[4200];       /* "--reach", "TRIAGE_REACH", "FILE line N", "built-in" */
	int set;               /* from a flag, the environment or the file */
} config_value;

typedef struct config {
	char path[4096];       /* the file (read when found) */
	int found;             /* it exists */
	config_value v[CONFIG_NKEYS];
	unsigned reach;        /* v[CONFIG_REACH] parsed (reach.h) */
	int colour;            /* v[CONFIG_COLOR] as enum config_colour */
} config;

/* Writes the configuration file's path into out: $XDG_CONFIG_HOME/triage/
 * config, else $HOME/.config/triage/config; NULL when neither is set. */
const char *config_path(char *out, size_t n);

/* Fills cf: per key the flag's value (flags[key], NULL when not given),
 * else its environment variable, else the file, else the built-in default.
 * A missing file is no error. On error (an unreadable file, a line that is
 * not `key = value`, an unknown key, a key given twice, a bad value) e
 * names the file and line (or the flag or variable): TR_EUSAGE for a bad
 * flag, TR_ERR otherwise. */
int config_load(config *cf, const char *const flags[CONFIG_NKEYS], tr_err *e);

#endif
