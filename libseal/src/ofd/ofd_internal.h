/* What the ofd module's files share: the package handle with its entries, the string pool
 * and the document model that open() fills in. Not part of the public API. */
#ifndef SEAL_OFD_INTERNAL_H
#define SEAL_OFD_INTERNAL_H

#include "ofd/ofd_xml.h"

#include <seal/ofd.h>

#include <glib.h>
#include <zip.h>

/* One file of the package, with its stored content once read. */
typedef struct ofd_entry {
    char *name;         /* validated: relative, no "..", no backslash */
    zip_uint64_t index; /* in the zip */
    uint64_t size;      /* uncompressed, from the central directory */
    bool loaded;
    seal_buf data;
    xmlDoc *xml; /* parsed on demand, kept */
} ofd_entry;

/* A page as the model keeps it: the public part and what is loaded on first use. */
typedef struct ofd_page {
    seal_ofd_page pub;
    bool loaded;
    GArray *templates;     /* seal_ofd_page_template */
    GHashTable *resources; /* id -> seal_ofd_resource*, the page's PageRes */
} ofd_page;

struct seal_ofd {
    seal_ofd_limits limits;
    zip_t *zip;
    const uint8_t *mem; /* the archive's bytes, when opened from memory (else NULL) */
    size_t mem_len;
    ofd_entry *entries; /* files only, archive order */
    size_t n_entries;
    GHashTable *by_name; /* name -> ofd_entry* */
    GStringChunk *strings;

    seal_ofd_doc_info info;
    ofd_page *pages;
    size_t n_pages;
    GArray *templates;     /* seal_ofd_template */
    GHashTable *resources; /* id -> seal_ofd_resource* (DocumentRes, PublicRes) */
    GPtrArray *owned;      /* every resource and array we allocated, freed with doc */
    GArray *signatures;    /* seal_ofd_signature */
};

/* The pool copy of a string (NULL stays NULL); lives as long as doc. */
const char *ofd_str(seal_ofd *doc, const char *s);
/* Keeps `p` until seal_ofd_free (g_free'd then). */
void *ofd_own(seal_ofd *doc, void *p);

ofd_entry *ofd_entry_find(const seal_ofd *doc, const char *path);

/* A second, independent libzip handle on a package opened from memory (same entries, same
 * indices), for reading on another thread; NULL (and an error set) otherwise. */
zip_t *ofd_package_reopen(const seal_ofd *doc);

/* seal_ofd_open_mem with NAME naming the bytes in messages (package.c). */
int ofd_package_open_mem(seal_ofd **out, const uint8_t *data, size_t len, const char *name,
                         const seal_ofd_limits *limits);

/* What a file's bytes look like to the OFD reader (package.c): a zip with an OFD.xml entry
 * (bytes before or after the archive allowed, OFD-SEAL.md 7), a zip it cannot read, or
 * something else (another zip, or no zip at all). */
typedef enum ofd_package_kind { OFD_SNIFF_NO, OFD_SNIFF_YES, OFD_SNIFF_DAMAGED } ofd_package_kind;
ofd_package_kind ofd_package_sniff(const uint8_t *data, size_t len);

/* Reads the model of document `number` (1-based DocBody) after the package was opened
 * (model.c); ofd_model_clear drops it (the package and its entries stay). */
int ofd_model_load(seal_ofd *doc, int number);
void ofd_model_clear(seal_ofd *doc);
/* The signature list DocBody `number` names (resolved, pooled), NULL when none. */
int ofd_body_signatures(seal_ofd *doc, int number, const char **out);
/* Reads a resource file into `table` (resources.c). */
int ofd_resources_load(seal_ofd *doc, GHashTable *table, const char *res_path);
/* Reads Signatures.xml and each Signature.xml (signatures.c). */
int ofd_signatures_load(seal_ofd *doc);

/* An attribute or child element's text, pooled; NULL when absent. */
const char *ofd_attr(seal_ofd *doc, const xmlNode *node, const char *name);
const char *ofd_child_text(seal_ofd *doc, const xmlNode *parent, const char *local_name);

/* seal_ofd_locate with a pooled result; a reference to a missing entry still yields its
 * standard reading (callers decide whether a missing file is an error). */
int ofd_locate(seal_ofd *doc, const char **out, const char *base_file, const char *ref);

/* Parses a number (GB/T 33190 ST_Double) with the C locale; SEAL_EFORMAT names `what`. */
int ofd_parse_double(double *out, const char *text, const char *what);
/* Reads exactly n numbers separated by white space (GB/T 33190 ST_Array). */
int ofd_parse_numbers(double *out, size_t n, const char *text, const char *what);

#endif
