/* Runs a fuzz target without libFuzzer, for ctest: every file named on the command line,
 * then each one truncated at every length up to 4 KiB and with each of its first 4 KiB
 * bytes flipped. A crash or sanitizer report fails the test; the real fuzzing runs with
 * clang (-DSEAL_FUZZ=ON, see README.md here). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MUTATE_LIMIT 4096

static uint8_t *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    uint8_t *buf = NULL;
    size_t cap = 0;
    *len = 0;
    for (;;) {
        if (*len == cap) {
            cap = cap ? cap * 2 : 65536;
            uint8_t *grown = realloc(buf, cap);
            if (!grown)
                break;
            buf = grown;
        }
        size_t n = fread(buf + *len, 1, cap - *len, f);
        if (n == 0)
            break;
        *len += n;
    }
    fclose(f);
    return buf;
}

int main(int argc, char **argv)
{
    size_t runs = 0;
    for (int i = 1; i < argc; i++) {
        size_t len = 0;
        uint8_t *data = read_all(argv[i], &len);
        if (!data) {
            fprintf(stderr, "replay: cannot read %s\n", argv[i]);
            return 1;
        }
        LLVMFuzzerTestOneInput(data, len);
        size_t limit = len < MUTATE_LIMIT ? len : MUTATE_LIMIT;
        for (size_t cut = 0; cut < limit; cut++, runs++)
            LLVMFuzzerTestOneInput(data, cut);
        uint8_t *copy = malloc(len ? len : 1);
        for (size_t at = 0; copy && at < limit; at++, runs++) {
            memcpy(copy, data, len);
            copy[at] ^= (uint8_t)(0x5a + at);
            LLVMFuzzerTestOneInput(copy, len);
        }
        free(copy);
        free(data);
    }
    printf("replay: %d seed(s), %zu mutated inputs, no crash\n", argc - 1, runs);
    return 0;
}
