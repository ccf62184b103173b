/* The OFD module's XML face: what hands out libxml2 trees (the parser, element lookup by
 * local name, a page's Content.xml, resources with their elements). Shared by the ofd
 * module's own files (model, text, render, stamp, verify) and its tests; kept out of
 * seal/ofd.h so that a program using libseal needs no libxml2 headers. Not part of the
 * public API. */
#ifndef SEAL_OFD_XML_H
#define SEAL_OFD_XML_H

#include "ofd/xml_lazy.h"

#include <seal/ofd.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- XML ----
 * libxml2 without entity substitution, DTD loading or network access; a document with a
 * DTD at all is refused. Elements are matched by local name in any namespace (ofd: prefix,
 * default namespace, or none), so documents from writers that vary the prefix or the
 * namespace URI read the same. */

/* Parses bytes that came from outside; `what` names them in messages. */
int seal_ofd_xml_parse(xmlDoc **out, const uint8_t *data, size_t len, const char *what,
                       const seal_ofd_limits *limits);
/* Parses a package entry (once; the tree is kept by `doc`, borrowed by the caller). */
int seal_ofd_entry_xml(seal_ofd *doc, const char *path, xmlDoc **out);

/* True when `node` is an element named `local_name`. */
bool seal_ofd_xml_is(const xmlNode *node, const char *local_name);
/* The first child element / the next sibling element named `local_name` (any, when NULL). */
xmlNode *seal_ofd_xml_child(const xmlNode *parent, const char *local_name);
xmlNode *seal_ofd_xml_next(const xmlNode *node, const char *local_name);
/* An attribute's value (malloc'd; the caller frees), NULL when absent. */
char *seal_ofd_xml_attr(const xmlNode *node, const char *name);
/* The element's text with surrounding white space removed (malloc'd; "" when empty). */
char *seal_ofd_xml_text(const xmlNode *node);

/* The page's Content.xml tree (borrowed, kept by `doc`). */
int seal_ofd_page_xml(seal_ofd *doc, int number, xmlDoc **out);

/* Resources (GB/T 33190 7.9): PublicRes and DocumentRes files, and a page's PageRes. */
typedef enum seal_ofd_res_kind {
    SEAL_OFD_RES_FONT,
    SEAL_OFD_RES_MULTIMEDIA, /* images, audio, video */
    SEAL_OFD_RES_COLORSPACE,
    SEAL_OFD_RES_DRAWPARAM,
    SEAL_OFD_RES_COMPOSITE, /* CompositeGraphicUnit */
} seal_ofd_res_kind;

typedef struct seal_ofd_resource {
    seal_ofd_res_kind kind;
    const char *id;
    const char *file_path;   /* FontFile / MediaFile resolved against the Res BaseLoc,
                                NULL when the resource names no file (system fonts) */
    const char *name;        /* FontName, or MultiMedia Type ("Image") */
    const char *family_name; /* FamilyName, or MultiMedia Format ("PNG", "GBIG2") */
    bool bold, italic, serif, fixed_width;
    const xmlNode *node; /* the element itself, for everything else (borrowed) */
} seal_ofd_resource;

/* The resource with this ID: a page's own PageRes first (page > 0), then DocumentRes and
 * PublicRes. SEAL_ENOTFOUND when no resource has it. */
int seal_ofd_resource_find(seal_ofd *doc, int page, const char *id, const seal_ofd_resource **out);

#endif
