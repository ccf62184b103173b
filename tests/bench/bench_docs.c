/* What the benchmarks share (see bench_docs.h). */
#include "bench_docs.h"

#include <errno.h>
#include <openssl/rand.h>
#include <seal/error.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void make_pdf(const char *path, int pages, size_t image_bytes)
{
    FILE *f = fopen(path, "wb");
    if (!f) {
        perror(path);
        exit(1);
    }
    long *off = calloc((size_t)(3 * pages + 3), sizeof *off);
    unsigned char *noise = malloc(image_bytes);
    int side = 1;
    while ((size_t)(side + 1) * (side + 1) * 3 <= image_bytes)
        side++;
    size_t img_len = (size_t)side * side * 3;
    fprintf(f, "%%PDF-1.7\n%%\xe2\xe3\xcf\xd3\n");
    off[1] = ftell(f);
    fprintf(f, "1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n");
    off[2] = ftell(f);
    fprintf(f, "2 0 obj\n<< /Type /Pages /Count %d /MediaBox [0 0 595 842] /Kids [", pages);
    for (int i = 0; i < pages; i++)
        fprintf(f, " %d 0 R", 3 + 3 * i);
    fprintf(f, " ] >>\nendobj\n");
    for (int i = 0; i < pages; i++) {
        int page = 3 + 3 * i, content = page + 1, image = page + 2;
        off[page] = ftell(f);
        fprintf(f,
                "%d 0 obj\n<< /Type /Page /Parent 2 0 R /Contents %d 0 R /Resources << "
                "/XObject << /Im %d 0 R >> >> >>\nendobj\n",
                page, content, image);
        const char *draw = "q 400 0 0 400 97 300 cm /Im Do Q";
        off[content] = ftell(f);
        fprintf(f, "%d 0 obj\n<< /Length %zu >>\nstream\n%s\nendstream\nendobj\n", content,
                strlen(draw), draw);
        RAND_bytes(noise, (int)img_len);
        off[image] = ftell(f);
        fprintf(f,
                "%d 0 obj\n<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace "
                "/DeviceRGB /BitsPerComponent 8 /Length %zu >>\nstream\n",
                image, side, side, img_len);
        fwrite(noise, 1, img_len, f);
        fprintf(f, "\nendstream\nendobj\n");
    }
    long xref = ftell(f);
    int n = 3 * pages + 3;
    fprintf(f, "xref\n0 %d\n0000000000 65535 f\r\n", n);
    for (int i = 1; i < n; i++)
        fprintf(f, "%010ld 00000 n\r\n", off[i]);
    fprintf(f, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%ld\n%%%%EOF\n", n, xref);
    fclose(f);
    free(off);
    free(noise);
}

double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double bench_file_mib(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        exit(1);
    }
    fseek(f, 0, SEEK_END);
    double mib = (double)ftell(f) / (1 << 20);
    fclose(f);
    return mib;
}

void bench_die(const char *what)
{
    fprintf(stderr, "%s: %s failed%s%s\n", program_invocation_short_name, what,
            *seal_error_last() ? ": " : "", seal_error_last());
    exit(1);
}
