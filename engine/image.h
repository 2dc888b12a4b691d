/*
 * image.h: a compact image of a loaded model, kept in the knowledge base
 * (tables model_image and model_image_use, schema 007) so that a session starts with a few reads
 * of one BLOB instead of one SQLite row per record. The image is the
 * model's arrays and text as model_load_rows builds them, pointers stored
 * as offsets; loading it is one read, a hash check and a relocation pass.
 * An image is used only when the code and memory layout that wrote it are
 * this build's, its size and hash match, and every offset and index in it
 * lies inside the model; anything else falls back to loading the rows.
 * Uses model.h and SQLite.
 */
#ifndef TR_IMAGE_H
#define TR_IMAGE_H
#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>
#include "err.h"
#include "model.h"

/* Loads the model of db by its rows (model_load_rows) and stores its image
 * in db, replacing any older one; call it after every other write of the
 * content (any later change deletes the image). Returns TR_OK, or TR_ERR
 * with e set and db's image left as it was. */
int image_store(sqlite3 *db, tr_err *e);

/* Loads the model from db's image. TR_OK: *out is the model, owned by the
 * caller (model_free), or NULL when db has no usable image, why (size
 * bytes) then saying why not: "no model image", "model image written by
 * another build of triage", "model image damaged: ..." (its size, its sum,
 * an offset or index out of range); the caller loads the rows. TR_ERR:
 * SQLite could not read the image (a damaged page), e says so as
 * store_read_fail does; *out is NULL. */
int image_load(sqlite3 *db, tr_model **out, char *why, size_t size, tr_err *e);

/* The hash of an image's n bytes stored beside it (column sum, as 16 hex
 * digits), eight bytes at a time: it finds a damaged image; it does not
 * stop a forger (image_load's range checks do that). */
uint64_t image_sum(const void *data, size_t n);

/* The layout signature an image written by this build carries, for tests
 * and kb check. Static storage. */
const char *image_format(void);

#endif
