/* libFuzzer target: the stamp side's examination of a document nobody vouches for
 * (seal_doc_examine: for a PDF libseal/src/pdf/examine.c, its walk of every object, the
 * optional content, the annotations over Poppler's text layout and the scan of the bytes
 * after the last signature; for an OFD libseal/src/ofd/examine.c, its crawl of every file
 * the package refers to). The input is a whole file, opened as the stamp driver opens it.
 * Nothing may crash, leak or hang. */
#include <seal/doc.h>
#include <seal/error.h>

#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int fd = memfd_create("fuzz-doc", MFD_CLOEXEC);
    if (fd < 0)
        return 0;
    seal_doc *doc = NULL;
    seal_doc_findings found = {0};
    if (write(fd, data, size) == (ssize_t)size && seal_doc_open_fd(&doc, fd, "fuzz", NULL) == 0)
        seal_doc_examine(doc, &found);
    seal_doc_findings_clear(&found);
    seal_doc_free(doc);
    seal_error_clear();
    close(fd);
    return 0;
}
