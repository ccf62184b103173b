/* What the PDF stamper's files share: the open document (qpdf handle plus what we read
 * from the raw bytes ourselves) and the object-writing helpers. */
#ifndef SEAL_PDF_INTERNAL_H
#define SEAL_PDF_INTERNAL_H

#include <seal/buf.h>
#include <seal/pdf.h>

#include "qpdf_lazy.h"
#include <stdint.h>

struct pdf_crypt;

struct seal_pdf {
    char *path;
    qpdf_data q;
    char *map; /* the file, mapped read-only for qpdf */
    size_t map_len;
    uint64_t file_size;
    uint64_t startxref;  /* the last startxref value, as written */
    bool xref_is_stream; /* the last revision used a cross-reference stream */
    long long next_obj;  /* trailer /Size: the first free object number */
    int page_count;
    uint64_t header_offset;  /* bytes before "%PDF-": file offsets = PDF offsets + this */
    struct pdf_crypt *crypt; /* the security handler's key; NULL when not encrypted */
    char *password;          /* the password it was opened with (text search needs it too) */
};

/* seal_pdf_open_password over a file the caller has open (FD is borrowed, not closed):
 * the stamper reads the same file it copies, whatever happens to the name meanwhile. */
int pdf_open_fd(seal_pdf **out, int fd, const char *path, const char *password);

/* One in-use cross-reference entry: a 20-byte table line (7.5.4), or a stream row of
 * type 1 with a 5-byte offset and a 2-byte generation, /W [1 5 2] (7.5.8.3). */
int pdf_xref_entry(seal_buf *out, bool stream, uint64_t offset, long long gen);

/* The trailer keys of a new revision: /Size SIZE, /Root, /Info, /Encrypt, /ID (the first
 * part kept, a new second part) and /Prev (ISO 32000-1 7.5.5, 14.4). */
int pdf_trailer_keys(seal_buf *out, const seal_pdf *pdf, long long size);

/* Serialises an object handle the way qpdf unparses it (indirect objects as "N G R"). */
int pdf_unparse(seal_buf *out, qpdf_data q, qpdf_oh oh);

/* Writes a dictionary with its keys, replacing or adding `extra` (a string of
 * "/Key value" pairs that win over the same keys in the dictionary). */
int pdf_write_dict_with(seal_buf *out, qpdf_data q, qpdf_oh dict, const char *const *drop_keys,
                        const char *extra);

/* A PDF text string for UTF-8 text: literal when ASCII, else UTF-16BE hex with a BOM
 * (ISO 32000-1 7.9.2.2). */
int pdf_text_string(seal_buf *out, const char *utf8);

/* D:YYYYMMDDHHmmSS+08'00' in China Standard Time, the local time of our users. */
void pdf_date(char out[32], time_t t);

/* A qpdf session that keeps errors and warnings for us and never repairs, into *OUT. The
 * one place a session begins: it loads libqpdf first (qpdf_lazy.h), SEAL_EUNSUPPORTED
 * when it cannot be loaded; SEAL_ENOMEM naming WHAT when qpdf cannot start a session. */
int pdf_qpdf_new_strict(qpdf_data *out, const char *what);

/* Turns a pending qpdf error into SEAL_EFORMAT ("<what>: <qpdf's text>"); 0 if none. */
int pdf_qpdf_error(qpdf_data q, const char *what);

/* SEAL_EFORMAT "PATH is damaged (<qpdf's first warning>); CONSEQUENCE" if qpdf warned
 * about the file since the last call, else 0; the warnings are used up. qpdf resolves
 * objects lazily, and with recovery off it reads an object that is not where the
 * cross-reference says as null with a warning: so this is asked again after the reads a
 * result depends on, not only after opening. Type warnings (qpdf_e_object: a key asked
 * of a null) count only with TYPE_WARNINGS: right after opening they come from qpdf's own
 * walk over a damaged file (an object of a broken object stream read as null), later
 * from our lookups, which ask keys of nulls to find out that something is absent. */
int pdf_qpdf_refuse_warnings(qpdf_data q, const char *path, bool type_warnings,
                             const char *consequence);
#define PDF_REFUSE_REPAIRED "refusing to add an update to a file that only reads after repair"

/* seal_pdf_verify_password over a file the caller has open (FD is borrowed, not closed). */
int pdf_verify_fd(seal_report **out, int fd, const char *path, const seal_trust *trust,
                  const char *password);

/* seal_pdf_render_page over a file the caller has open (FD is borrowed, read through a
 * mapping), an encrypted one with its password; NAME names it in messages. */
int pdf_render_page_fd(seal_buf *png, int fd, const char *name, const char *password, int page,
                       double dpi);

#endif
