/* The seal pictures' PDF image streams at rest (table pdf_picture, schema version 3): made
 * once when a seal is made (seal_store_add_seal), so that a stamp never decodes the PNG and
 * compresses its samples again, which cost more than the rest of a one-document stamp.
 * Keyed by the PNG's SHA-256, so seals sharing a picture share its streams and a picture
 * that changes is never drawn from stale streams. Reading a seal hands its streams to the
 * process-wide cache the PDF stamper copies them from (seal/pdf_picture.c); a seal made
 * before version 3 has its streams made on that first read and stored then. */
#include "seal/pdf_picture.h"
#include "store/store_internal.h"

#include <seal/error.h>

#include <string.h>

static int store_fail(seal_store *st, const char *what)
{
    return seal_error_set(SEAL_ESTORE, "database error while %s: %s", what,
                          sqlite3_errmsg(store_sqlite(st)));
}

static int save(seal_store *st, const uint8_t key[SEAL_PDF_PICTURE_KEY_LEN],
                const seal_pdf_picture *p)
{
    int rc = 0;
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2(store_sqlite(st),
                           "INSERT OR IGNORE INTO pdf_picture (png_sha256, width, height, "
                           "rgb_z, alpha_z) VALUES (?1, ?2, ?3, ?4, ?5)",
                           -1, &stmt, NULL) != SQLITE_OK)
        SEAL_TRY(store_fail(st, "preparing to keep a seal picture"));
    sqlite3_bind_blob(stmt, 1, key, SEAL_PDF_PICTURE_KEY_LEN, SQLITE_STATIC);
    sqlite3_bind_int(stmt, 2, p->width);
    sqlite3_bind_int(stmt, 3, p->height);
    sqlite3_bind_blob(stmt, 4, p->rgb_z.data, (int)p->rgb_z.len, SQLITE_STATIC);
    sqlite3_bind_blob(stmt, 5, p->alpha_z.data, (int)p->alpha_z.len, SQLITE_STATIC);
    if (sqlite3_step(stmt) != SQLITE_DONE)
        SEAL_TRY(store_fail(st, "keeping a seal picture's PDF streams"));
out:
    sqlite3_finalize(stmt);
    return rc;
}

/* 1 with the stored streams in *p, 0 when none are stored. */
static int load(seal_store *st, const uint8_t key[SEAL_PDF_PICTURE_KEY_LEN], seal_pdf_picture *p)
{
    int rc = 0;
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2(store_sqlite(st),
                           "SELECT width, height, rgb_z, alpha_z FROM pdf_picture "
                           "WHERE png_sha256 = ?1",
                           -1, &stmt, NULL) != SQLITE_OK)
        SEAL_TRY(store_fail(st, "preparing to read a seal picture"));
    sqlite3_bind_blob(stmt, 1, key, SEAL_PDF_PICTURE_KEY_LEN, SQLITE_STATIC);
    int step = sqlite3_step(stmt);
    if (step == SQLITE_DONE)
        goto out;
    if (step != SQLITE_ROW)
        SEAL_TRY(store_fail(st, "reading a seal picture's PDF streams"));
    p->width = sqlite3_column_int(stmt, 0);
    p->height = sqlite3_column_int(stmt, 1);
    SEAL_TRY(seal_buf_set(&p->rgb_z, sqlite3_column_blob(stmt, 2),
                          (size_t)sqlite3_column_bytes(stmt, 2)));
    SEAL_TRY(seal_buf_set(&p->alpha_z, sqlite3_column_blob(stmt, 3),
                          (size_t)sqlite3_column_bytes(stmt, 3)));
    SEAL_ENSURE(p->width > 0 && p->height > 0 && p->rgb_z.len > 0 && p->alpha_z.len > 0,
                SEAL_ESTORE, "a seal picture's stored PDF streams are damaged");
    rc = 1;
out:
    sqlite3_finalize(stmt);
    if (rc <= 0)
        seal_pdf_picture_clear(p);
    return rc;
}

int store_pdf_picture_keep(seal_store *st, const seal_buf *png)
{
    int rc = 0;
    uint8_t key[SEAL_PDF_PICTURE_KEY_LEN];
    seal_pdf_picture p = {SEAL_BUF_INIT, SEAL_BUF_INIT, 0, 0};
    SEAL_TRY(seal_pdf_picture_key(key, png->data, png->len));
    SEAL_TRY(seal_pdf_picture_make(&p, png->data, png->len));
    SEAL_TRY(save(st, key, &p));
    seal_pdf_picture_remember(key, &p);
out:
    seal_pdf_picture_clear(&p);
    return rc;
}

void store_pdf_picture_load(seal_store *st, const seal_buf *png)
{
    uint8_t key[SEAL_PDF_PICTURE_KEY_LEN];
    seal_pdf_picture p = {SEAL_BUF_INIT, SEAL_BUF_INIT, 0, 0};
    int found = 0;
    if (seal_pdf_picture_key(key, png->data, png->len) < 0)
        goto out;
    if (seal_pdf_picture_cached(&p, key) != 0)
        goto out;
    /* Whatever fails here only costs the stamper the time to make the streams itself. */
    found = load(st, key, &p);
    if (found == 0 && seal_pdf_picture_make(&p, png->data, png->len) == 0) {
        found = 1;
        save(st, key, &p);
    }
    if (found == 1)
        seal_pdf_picture_remember(key, &p);
out:
    seal_pdf_picture_clear(&p);
    seal_error_clear();
}
