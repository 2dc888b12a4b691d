/*
 * manpage.h: triage(1) in roff, written from the command table and the
 * text of `triage --help` (cli.h's cli_docs), so the manual page cannot
 * drift from the help. The build runs `triage help --man` to make it.
 */
#ifndef TR_MANPAGE_H
#define TR_MANPAGE_H
#include <stdio.h>
#include "cli.h"

/* Writes the whole page to f. Its date is $SOURCE_DATE_EPOCH (the
 * reproducible-builds convention) when set and valid, else today. */
void manpage_write(FILE *f, const cli_docs *d);

#endif
