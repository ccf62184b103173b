/* libxml2, loaded on first use (base/lazy.h). Only OFD work reads or writes XML, yet
 * linking libxml2 made every process load and relocate it at start-up with what it pulls
 * in (ICU's libicuuc and libicudata, libstdc++ for ICU, liblzma): about a quarter of the
 * dynamic loader's work in `sealsvc --version` (2,128 of 9,202 symbol relocations,
 * docs/performance.md). So libseal is not linked with it.
 *
 * Files of src/ofd include this header instead of libxml2's and call libxml2 by its own
 * names: each name below is defined onto the table's field of the same name without the
 * xml prefix (`xmlDocGetRootElement(doc)` becomes `(ofd_libxml2.DocGetRootElement)(doc)`).
 * The library is loaded by ofd_libxml2_load where the module's XML work begins: a package
 * opened (package.c: every seal_ofd holds trees, so whoever has one may call the table),
 * bytes parsed (seal_ofd_xml_parse) and Signature.xml written (stamp_xml.c); every other
 * call works on a tree one of those made. A libxml2 function used without being listed
 * here fails libseal's link (--no-undefined): add it to OFD_LIBXML2_FUNCTIONS and define
 * its name below. A libxml2 header this one does not include must not come after it (the
 * names defined below would rename its declarations): include it here instead. */
#ifndef SEAL_OFD_XML_LAZY_H
#define SEAL_OFD_XML_LAZY_H

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlmemory.h>
#include <libxml/xmlwriter.h>

/* xmlFree is a variable holding libxml2's deallocator (globals.h), which the table reaches
 * by its address. Builds that keep the allocator per thread make it a macro over a
 * function instead; that needs __xmlFree in the table. */
#ifdef LIBXML_THREAD_ALLOC_ENABLED
#error "this libxml2 keeps its allocator per thread: ofd/xml_lazy.h must resolve __xmlFree"
#endif

/* Every libxml2 function libseal calls, without the xml prefix: trees, the parser, the
 * writer of Signature.xml. */
#define OFD_LIBXML2_FUNCTIONS(X)                                                                   \
    X(AddChild)                                                                                    \
    X(AddNextSibling)                                                                              \
    X(AddPrevSibling)                                                                              \
    X(BufferContent)                                                                               \
    X(BufferCreate)                                                                                \
    X(BufferFree)                                                                                  \
    X(BufferLength)                                                                                \
    X(CtxtGetLastError)                                                                            \
    X(CtxtReadMemory)                                                                              \
    X(DocDumpMemoryEnc)                                                                            \
    X(DocGetRootElement)                                                                           \
    X(DocSetRootElement)                                                                           \
    X(FreeDoc)                                                                                     \
    X(FreeParserCtxt)                                                                              \
    X(FreeTextWriter)                                                                              \
    X(InitParser)                                                                                  \
    X(NewDoc)                                                                                      \
    X(NewDocNode)                                                                                  \
    X(NewNs)                                                                                       \
    X(NewParserCtxt)                                                                               \
    X(NewTextWriterMemory)                                                                         \
    X(NodeAddContent)                                                                              \
    X(NodeGetContent)                                                                              \
    X(NodeListGetString)                                                                           \
    X(NodeSetContent)                                                                              \
    X(SetNs)                                                                                       \
    X(SetProp)                                                                                     \
    X(TextWriterEndDocument)                                                                       \
    X(TextWriterEndElement)                                                                        \
    X(TextWriterStartDocument)                                                                     \
    X(TextWriterStartElementNS)                                                                    \
    X(TextWriterWriteAttribute)                                                                    \
    X(TextWriterWriteString)

/* The table, each field typed from libxml2's own declaration. */
typedef struct ofd_libxml2_table {
#define OFD_LIBXML2_FIELD(name) __typeof__(xml##name) *name;
    OFD_LIBXML2_FUNCTIONS(OFD_LIBXML2_FIELD)
#undef OFD_LIBXML2_FIELD
    /* &xmlFree, the variable */
    __typeof__(xmlFree) *Free;
} ofd_libxml2_table;

/* Filled by ofd_libxml2_load; read only after it succeeded. */
extern ofd_libxml2_table ofd_libxml2;

/* Loads libxml2 and starts it (xmlInitParser) on the first call (safe from any thread);
 * SEAL_EUNSUPPORTED "OFD support needs libxml2 (SONAME), and ..." when it cannot be
 * loaded. */
int ofd_libxml2_load(void);

/* xmlFreeDoc accepts NULL, and cleanup paths call it on a document never made, which may
 * be before libxml2 was loaded (or when it could not be): so NULL never reaches the table. */
static inline void ofd_libxml2_free_doc(xmlDoc *doc)
{
    if (doc)
        ofd_libxml2.FreeDoc(doc);
}

#define xmlAddChild                 (ofd_libxml2.AddChild)
#define xmlAddNextSibling           (ofd_libxml2.AddNextSibling)
#define xmlAddPrevSibling           (ofd_libxml2.AddPrevSibling)
#define xmlBufferContent            (ofd_libxml2.BufferContent)
#define xmlBufferCreate             (ofd_libxml2.BufferCreate)
#define xmlBufferFree               (ofd_libxml2.BufferFree)
#define xmlBufferLength             (ofd_libxml2.BufferLength)
#define xmlCtxtGetLastError         (ofd_libxml2.CtxtGetLastError)
#define xmlCtxtReadMemory           (ofd_libxml2.CtxtReadMemory)
#define xmlDocDumpMemoryEnc         (ofd_libxml2.DocDumpMemoryEnc)
#define xmlDocGetRootElement        (ofd_libxml2.DocGetRootElement)
#define xmlDocSetRootElement        (ofd_libxml2.DocSetRootElement)
#define xmlFreeDoc                  ofd_libxml2_free_doc
#define xmlFreeParserCtxt           (ofd_libxml2.FreeParserCtxt)
#define xmlFreeTextWriter           (ofd_libxml2.FreeTextWriter)
#define xmlInitParser               (ofd_libxml2.InitParser)
#define xmlNewDoc                   (ofd_libxml2.NewDoc)
#define xmlNewDocNode               (ofd_libxml2.NewDocNode)
#define xmlNewNs                    (ofd_libxml2.NewNs)
#define xmlNewParserCtxt            (ofd_libxml2.NewParserCtxt)
#define xmlNewTextWriterMemory      (ofd_libxml2.NewTextWriterMemory)
#define xmlNodeAddContent           (ofd_libxml2.NodeAddContent)
#define xmlNodeGetContent           (ofd_libxml2.NodeGetContent)
#define xmlNodeListGetString        (ofd_libxml2.NodeListGetString)
#define xmlNodeSetContent           (ofd_libxml2.NodeSetContent)
#define xmlSetNs                    (ofd_libxml2.SetNs)
#define xmlSetProp                  (ofd_libxml2.SetProp)
#define xmlTextWriterEndDocument    (ofd_libxml2.TextWriterEndDocument)
#define xmlTextWriterEndElement     (ofd_libxml2.TextWriterEndElement)
#define xmlTextWriterStartDocument  (ofd_libxml2.TextWriterStartDocument)
#define xmlTextWriterStartElementNS (ofd_libxml2.TextWriterStartElementNS)
#define xmlTextWriterWriteAttribute (ofd_libxml2.TextWriterWriteAttribute)
#define xmlTextWriterWriteString    (ofd_libxml2.TextWriterWriteString)
#define xmlFree                     (*ofd_libxml2.Free)

#endif
