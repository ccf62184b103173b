/* What the files of the OFD stamper (stamp*.c) share: the Signature.xml writer's input,
 * the updates of Signatures.xml and OFD.xml with the ID counter, the entry digests and the
 * package writer with its libzip sink. Not part of the public API. */
#ifndef SEAL_OFD_STAMP_INTERNAL_H
#define SEAL_OFD_STAMP_INTERNAL_H

#include <seal/buf.h>
#include <seal/doc.h>
#include <seal/ofd.h>

#include <openssl/evp.h>
#include <stdbool.h>
#include <time.h>
#include <zip.h>

/* GB/T 33190 (OFD-SEAL.md 4): every element in this namespace, prefix "ofd". */
#define OFD_NAMESPACE "http://www.ofdspec.org/2016"

/* One ofd:Reference: a package file and the digest of its stored bytes. */
typedef struct ofd_sig_ref {
    const char *path; /* package path without the leading '/' */
    uint8_t digest[EVP_MAX_MD_SIZE];
    size_t digest_len;
} ofd_sig_ref;

/* One ofd:StampAnnot, in mm. */
typedef struct ofd_sig_annot {
    const char *id;
    const char *page_ref; /* the page object ID */
    double boundary[4];   /* x y w h on the page */
    bool has_clip;
    double clip[4]; /* x y w h in the seal's own coordinates */
} ofd_sig_annot;

typedef struct ofd_sig_info {
    const char *provider_name, *provider_version, *provider_company;
    const char *signature_method; /* OID of the signature algorithm */
    time_t time;
    const char *check_method; /* OID of the reference digest */
    const ofd_sig_ref *refs;
    size_t n_refs;
    const ofd_sig_annot *annots;
    size_t n_annots;
    const char *seal_path;         /* package path of Seal.esl; NULL: no ofd:Seal */
    const char *signed_value_path; /* package path of SignedValue.dat */
    const seal_doc_grant *grant;   /* the grant the stamp uses (ofd:Parameters); NULL: none */
} ofd_sig_info;

/* Writes a Signature.xml (GB/T 33190 18.2; OFD-SEAL.md 4) in schema order. */
int ofd_signature_xml_write(seal_buf *out, const ofd_sig_info *info);

/* An OFD number (ST_Double) as written: at most 3 decimals, no trailing zeros, C locale. */
void ofd_format_number(char out[32], double v);

/* The counter that signature IDs and StampAnnot IDs share (OFD-SEAL.md 4). */
#define OFD_ID_SIZE 48
typedef struct ofd_id_counter {
    unsigned long long max; /* the largest number any existing ID ends in */
    char prefix[16];        /* the form of the document's MaxSignId: "s008" is "s", */
    int width;              /* 3 digits */
} ofd_id_counter;

void ofd_ids_init(ofd_id_counter *c, const seal_ofd *doc);
/* The next ID, in the document's form. */
int ofd_ids_take(ofd_id_counter *c, char out[OFD_ID_SIZE]);

/* The new entry of the signature list. */
typedef struct ofd_list_entry {
    const char *id, *type; /* "Seal" or "Sign" */
    const char *base_loc;  /* "/Doc_0/Signs/Sign_N/Signature.xml" */
    const char *max_sign_id;
} ofd_list_entry;

/* Signatures.xml with the entry added and MaxSignId set; `old` NULL makes a new list. */
int ofd_signatures_xml_add(seal_buf *out, const seal_slice *old, const ofd_list_entry *entry,
                           const seal_ofd_limits *limits);
/* OFD.xml with the `document`th (1-based) DocBody's Signatures naming `list_loc`, for a
 * document that had no list. */
int ofd_ofd_xml_add_signatures(seal_buf *out, seal_slice old, int document, const char *list_loc,
                               const seal_ofd_limits *limits);

/* A file the stamp writes: a changed entry or a new one. */
typedef struct ofd_new_file {
    const char *path; /* package path without the leading '/' */
    const seal_buf *data;
    bool deflate; /* XML compresses; DER holding a PNG does not, and is stored */
} ofd_new_file;

/* SM3 of the stored (uncompressed) bytes of each entry refs[i].path names, streamed from
 * the package; references that already have a digest are left as they are. */
int ofd_stamp_digest_entries(seal_ofd *doc, ofd_sig_ref *refs, size_t n);
/* Writes a zip archive into `of` (open, not committed): every entry of the package in its
 * order, copied as stored unless `replaced` has new bytes for it, then the `added` files. */
int ofd_stamp_write_zip(seal_ofd *doc, seal_outfile *of, const ofd_new_file *replaced,
                        size_t n_replaced, const ofd_new_file *added, size_t n_added, time_t mtime);

/* ---- two-phase stamping: what prepare (stamp.c) leaves for finish (stamp_finish.c) ---- */

/* APPNOTE 4.3.12: a central directory header before its name, extra field and comment. */
#define OFD_CENTRAL_LEN 46

/* The prepared package (every file of the new package but SignedValue.dat, written at
 * p->prepared) and how to complete it: p->state holds it encoded, p->live decoded. */
typedef struct ofd_prepared {
    bool type_seal;          /* SignedValue.dat is an SES_Signature (else a CMS) */
    char *signed_value_path; /* its package path */
    uint64_t cd_offset;      /* where the prepared package's central directory starts */
    uint16_t n_entries;
    seal_buf central;                        /* that directory, as written */
    uint8_t entry_template[OFD_CENTRAL_LEN]; /* Seal.esl's header in it */
    /* The pending stamp's digest (digests.md) of the bytes before cd_offset, which finish
     * keeps: a changed prepared file is refused rather than completed. */
    uint8_t prefix_digest[EVP_MAX_MD_SIZE];
    size_t prefix_digest_len;
    EVP_MD_CTX *prefix_md; /* live only: that digest still open, so finish reads nothing */
} ofd_prepared;

void ofd_prepared_free(ofd_prepared *pp);
int ofd_prepared_encode(seal_buf *state, const ofd_prepared *pp);
int ofd_prepared_decode(ofd_prepared **out, const uint8_t *state, size_t len);

/* From the prepared package `file` just written: its central directory, and the header
 * of the entry `template_path` (Seal.esl) that SignedValue.dat's will copy. */
int ofd_tail_read(ofd_prepared *pp, const uint8_t *file, size_t len, const char *template_path);
/* What goes at pp->cd_offset to complete the package: SignedValue.dat's local header and
 * bytes, the central directory with its entry added, and the end record. */
int ofd_tail_make(seal_buf *tail, const ofd_prepared *pp, const seal_buf *signed_value);

/* Trusted time for a new signature (stamp_time.c): a token from `tsa` over `value` (the
 * signature value), its TSA chained at genTime when `trust` is given. *out receives the
 * token's DER. */
int ofd_stamp_timestamp(seal_buf *out, const seal_tsp_client *tsa, const seal_trust *trust,
                        const uint8_t *value, size_t len);
/* The same for a CMS in *cms: the token goes in as its signature-time-stamp attribute. */
int ofd_stamp_timestamp_cms(seal_buf *cms, const seal_tsp_client *tsa, const seal_trust *trust);

/* libzip's write target: the temporary output file, written through a buffer. */
typedef struct ofd_sink {
    seal_outfile *of;
    int fd;
    uint8_t *buf;
    size_t buffered; /* bytes in buf, which belong at buf_offset in the file */
    uint64_t buf_offset;
    uint64_t pos, end; /* libzip's write position, and the file's size so far */
    zip_error_t error;
} ofd_sink;

/* A new, empty archive that writes into the output (which the caller keeps owning), each
 * full buffer handed to the disk at once. The sink must outlive the archive; clear it
 * afterwards. */
int ofd_sink_open(ofd_sink *s, seal_outfile *of, zip_t **out);
void ofd_sink_clear(ofd_sink *s);

#endif
