/* Fuzz target for the pending stamp reader (doc/pending.c): the bytes come back from the
 * store, where anyone with database access could have changed them. Nothing may crash,
 * leak or read outside the input; what loads must save, load again, and save to the same
 * bytes (so that a stamp finished by another process is the stamp that was prepared). */
#include <seal/doc.h>
#include <seal/error.h>

#include <stddef.h>
#include <stdint.h>
#include <string.h>

static void require(int cond)
{
    if (!cond)
        __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    seal_pending_stamp *p = NULL, *q = NULL;
    seal_buf once = SEAL_BUF_INIT, twice = SEAL_BUF_INIT;
    if (seal_pending_stamp_load(&p, data, size) < 0) {
        require(p == NULL && seal_error_last()[0] != '\0');
        return 0;
    }
    require(p->format && p->output && p->digest_len >= 1 && p->digest_len <= sizeof p->digest);
    require(seal_pending_stamp_save(p, &once) == 0);
    require(seal_pending_stamp_load(&q, once.data, once.len) == 0);
    require(seal_pending_stamp_save(q, &twice) == 0);
    require(once.len == twice.len && memcmp(once.data, twice.data, once.len) == 0);
    seal_buf_clear(&once);
    seal_buf_clear(&twice);
    seal_pending_stamp_free(p);
    seal_pending_stamp_free(q);
    return 0;
}
