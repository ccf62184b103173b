/* What the benchmarks share: PDFs of a given page count and size, generated so that every
 * benchmark (ours alone, ours against pdfsig) stamps the same kind of input, and the small
 * helpers every benchmark needs. */
#ifndef SEAL_BENCH_DOCS_H
#define SEAL_BENCH_DOCS_H

#include <stddef.h>

/* A PDF of `pages` pages, each drawing an uncompressed image of random bytes of
 * `image_bytes`, with a classic cross-reference table. Exits on failure. */
void make_pdf(const char *path, int pages, size_t image_bytes);

/* Seconds on the monotonic clock. */
double bench_now(void);
/* A file's size in MiB. */
double bench_file_mib(const char *path);
/* "PROGRAM: WHAT failed: <libseal's last error>" on stderr, then exit(1). */
void bench_die(const char *what) __attribute__((noreturn));

#endif
