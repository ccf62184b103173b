/* What the files of the OFD stamper share: the Signature.xml writer's input and the
 * updates of Signatures.xml and OFD.xml. Not part of the public API. */
#ifndef SEAL_OFD_STAMP_INTERNAL_H
#define SEAL_OFD_STAMP_INTERNAL_H

#include <seal/buf.h>

#include <libxml/tree.h>
#include <openssl/evp.h>
#include <stdbool.h>
#include <time.h>

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
} ofd_sig_info;

/* Writes a Signature.xml (GB/T 33190 18.2; OFD-SEAL.md 4) in schema order. */
int ofd_signature_xml_write(seal_buf *out, const ofd_sig_info *info);

/* An OFD number (ST_Double) as written: at most 3 decimals, no trailing zeros, C locale. */
void ofd_format_number(char out[32], double v);

#endif
