/* The seal pictures' PDF image streams at rest (table pdf_picture, schema version 3): made
 * once when a seal is made (seal_store_add_seal), so that a stamp never decodes the PNG and
 * compresses its samples again, which cost more than the rest of a one-document stamp.
 * Keyed by the PNG's SHA-256, so seals sharing a picture share its streams and a picture
 * that changes is never drawn from stale streams. A stamp readies them
 * (seal_store_picture_ready, before it prepares the appearance): they go into the
 * process-wide cache the PDF stamper copies them from (seal/pdf_picture.c); reading a seal
 * for anything else (a finish, a listing) leaves them in the database. A seal made before
 * version 3 has its streams made on its first stamp and stored then. */
#include "seal/pdf_picture.h"
#include "store/store_internal.h"

#include <seal/error.h>

#include <string.h>

static int save(seal_store *st, const uint8_t key[SEAL_PDF_PICTURE_KEY_LEN],
                const seal_pdf_picture *p)
{
    int rc = 0;
    seal_db_stmt *stmt = NULL;
    SEAL_TRY(store_prepare(st, &stmt, "keeping a seal picture's PDF streams",
                           "INSERT INTO pdf_picture (png_sha256, width, height, rgb_z, alpha_z) "
                           "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING"));
    seal_db_bind_blob(stmt, 1, key, SEAL_PDF_PICTURE_KEY_LEN);
    seal_db_bind_int64(stmt, 2, p->width);
    seal_db_bind_int64(stmt, 3, p->height);
    seal_db_bind_blob(stmt, 4, p->rgb_z.data, p->rgb_z.len);
    seal_db_bind_blob(stmt, 5, p->alpha_z.data, p->alpha_z.len);
    SEAL_TRY(seal_db_step(stmt));
out:
    seal_db_finalize(stmt);
    return rc;
}

/* 1 with the stored streams in *p, 0 when none are stored. */
static int load(seal_store *st, const uint8_t key[SEAL_PDF_PICTURE_KEY_LEN], seal_pdf_picture *p)
{
    int rc = 0;
    seal_db_stmt *stmt = NULL;
    SEAL_TRY(store_prepare(st, &stmt, "reading a seal picture's PDF streams",
                           "SELECT width, height, rgb_z, alpha_z FROM pdf_picture "
                           "WHERE png_sha256 = ?1"));
    seal_db_bind_blob(stmt, 1, key, SEAL_PDF_PICTURE_KEY_LEN);
    int step = seal_db_step(stmt);
    SEAL_TRY(step);
    if (step == SEAL_DB_DONE)
        goto out;
    p->width = (int)store_column_int64(stmt, 0);
    p->height = (int)store_column_int64(stmt, 1);
    SEAL_TRY(store_column_buf(stmt, 2, &p->rgb_z));
    SEAL_TRY(store_column_buf(stmt, 3, &p->alpha_z));
    SEAL_ENSURE(p->width > 0 && p->height > 0 && p->rgb_z.len > 0 && p->alpha_z.len > 0,
                SEAL_ESTORE, "a seal picture's stored PDF streams are damaged");
    rc = 1;
out:
    seal_db_finalize(stmt);
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
