/* Unit tests for the base helpers every module leans on: error messages and classes
 * (error.c), the SEAL_TRY/SEAL_ENSURE guards, growable buffers, slices, hex, and whole-file
 * reads and atomic writes (buf.c). */
#include "testutil.h"

#include <glib.h>

#include <seal/buf.h>
#include <seal/error.h>

#include <dirent.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

/* ---- errors ---- */

static void error_message_and_class(void **state)
{
    (void)state;
    seal_error_clear();
    assert_string_equal(seal_error_last(), "");
    assert_int_equal(seal_error_last_class(), SEAL_ERROR_NONE);

    assert_int_equal(seal_error_set(SEAL_ENOTFOUND,
                                    "page %d does not exist (document has %d "
                                    "pages)",
                                    7, 5),
                     SEAL_ENOTFOUND);
    assert_string_equal(seal_error_last(), "page 7 does not exist (document has 5 pages)");
    assert_int_equal(seal_error_last_code(), SEAL_ENOTFOUND);
    assert_int_equal(seal_error_last_class(), SEAL_ERROR_NOTFOUND);
    assert_string_equal(seal_error_class_name(seal_error_last_class()), "notfound");

    /* Every code maps to its own class with a name. */
    const struct {
        int code;
        seal_error_class cls;
        const char *name;
    } map[] = {
        {SEAL_EINVAL, SEAL_ERROR_ARGS, "args"},
        {SEAL_ENOMEM, SEAL_ERROR_MEMORY, "memory"},
        {SEAL_EIO, SEAL_ERROR_IO, "io"},
        {SEAL_EFORMAT, SEAL_ERROR_FORMAT, "format"},
        {SEAL_ECRYPTO, SEAL_ERROR_CRYPTO, "crypto"},
        {SEAL_EPKI, SEAL_ERROR_PKI, "pki"},
        {SEAL_EPOLICY, SEAL_ERROR_POLICY, "policy"},
        {SEAL_EAUTH, SEAL_ERROR_AUTH, "auth"},
        {SEAL_ESTORE, SEAL_ERROR_STORE, "store"},
        {SEAL_ENOTFOUND, SEAL_ERROR_NOTFOUND, "notfound"},
        {SEAL_EEXISTS, SEAL_ERROR_EXISTS, "exists"},
        {SEAL_EUNSUPPORTED, SEAL_ERROR_UNSUPPORTED, "unsupported"},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
        seal_error_set(map[i].code, "x");
        assert_int_equal(seal_error_last_class(), map[i].cls);
        assert_string_equal(seal_error_class_name(map[i].cls), map[i].name);
    }
    assert_string_equal(seal_error_class_name((seal_error_class)999), "none");

    seal_error_clear();
    assert_int_equal(seal_error_last_code(), SEAL_OK);
    assert_string_equal(seal_error_last(), "");
}

static void *fail_in_thread(void *data)
{
    (void)data;
    bool clear_at_start = seal_error_last()[0] == '\0';
    seal_error_set(SEAL_EIO, "the other thread's failure");
    return GINT_TO_POINTER(clear_at_start &&
                           strcmp(seal_error_last(), "the other thread's failure") == 0);
}

/* The last error is the calling thread's: a request failing on another thread neither
 * shows its message here nor replaces this thread's. */
static void error_message_is_per_thread(void **state)
{
    (void)state;
    seal_error_set(SEAL_EAUTH, "this thread's failure");
    GThread *other = g_thread_new("other", fail_in_thread, NULL);
    assert_true(GPOINTER_TO_INT(g_thread_join(other)));
    assert_string_equal(seal_error_last(), "this thread's failure");
    assert_int_equal(seal_error_last_code(), SEAL_EAUTH);
    seal_error_clear();
}

static void error_wrap_prefixes_context(void **state)
{
    (void)state;
    seal_error_set(SEAL_EFORMAT, "length 5000 exceeds the 20 bytes left");
    assert_int_equal(seal_error_wrap(SEAL_EFORMAT, "page %d", 3), SEAL_EFORMAT);
    assert_string_equal(seal_error_last(), "page 3: length 5000 exceeds the 20 bytes left");

    /* Long messages are cut, never overflowed. */
    char big[2000];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    seal_error_set(SEAL_EIO, "%s", big);
    assert_true(strlen(seal_error_last()) < 1024);
    seal_error_wrap(SEAL_EIO, "%s", big);
    assert_true(strlen(seal_error_last()) < 1024);
    assert_int_equal(seal_error_last_code(), SEAL_EIO);
}

static void error_openssl_reason_appended_and_queue_cleared(void **state)
{
    (void)state;
    /* Provoke a real OpenSSL error: an unknown digest name. */
    ERR_clear_error();
    assert_null(EVP_MD_fetch(NULL, "no-such-digest", NULL));
    assert_true(ERR_peek_last_error() != 0);
    seal_error_set_openssl(SEAL_ECRYPTO, "cannot load the digest");
    assert_non_null(strstr(seal_error_last(), "cannot load the digest (OpenSSL: "));
    assert_int_equal(ERR_peek_last_error(), 0);

    seal_error_set_openssl(SEAL_ECRYPTO, "plain");
    assert_string_equal(seal_error_last(), "plain");
}

static int guarded(int step_rc, int cond, int *cleaned)
{
    int rc = 0;
    SEAL_TRY(step_rc);
    SEAL_ENSURE(cond, SEAL_EPOLICY, "seal %s has expired", "finance");
    rc = 1;
out:
    (*cleaned)++;
    return rc;
}

static void guard_macros_jump_to_cleanup(void **state)
{
    (void)state;
    int cleaned = 0;
    assert_int_equal(guarded(0, 1, &cleaned), 1);
    assert_int_equal(guarded(SEAL_EIO, 1, &cleaned), SEAL_EIO);
    seal_error_clear();
    assert_int_equal(guarded(0, 0, &cleaned), SEAL_EPOLICY);
    assert_string_equal(seal_error_last(), "seal finance has expired");
    /* A positive value is not a failure. */
    assert_int_equal(guarded(5, 1, &cleaned), 1);
    assert_int_equal(cleaned, 4);
}

/* ---- buffers and slices ---- */

static void buf_grows_and_stays_terminated(void **state)
{
    (void)state;
    seal_buf b = SEAL_BUF_INIT;
    for (int i = 0; i < 10000; i++)
        assert_int_equal(seal_buf_append_byte(&b, (uint8_t)('a' + i % 26)), 0);
    assert_int_equal(b.len, 10000);
    assert_true(b.cap > b.len);
    assert_int_equal(b.data[b.len], 0);
    assert_int_equal(b.data[9999], 'a' + 9999 % 26);

    assert_int_equal(seal_buf_set(&b, "hello", 5), 0);
    assert_int_equal(seal_buf_append_str(&b, ", "), 0);
    assert_int_equal(seal_buf_printf(&b, "%s %d", "page", 42), 0);
    assert_string_equal((const char *)b.data, "hello, page 42");
    assert_int_equal(b.len, strlen("hello, page 42"));

    assert_int_equal(seal_buf_reserve(&b, SIZE_MAX), SEAL_ENOMEM);
    assert_string_equal((const char *)b.data, "hello, page 42"); /* untouched */

    seal_buf_clear_secret(&b);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    assert_int_equal(seal_buf_append_str(&b, "again"), 0); /* usable after clear */
    assert_string_equal((const char *)b.data, "again");
    seal_buf_clear(&b);
    seal_buf_clear(&b); /* twice is fine */
}

static void slices_never_read_past_the_end(void **state)
{
    (void)state;
    const uint8_t bytes[] = {1, 2, 3};
    seal_slice s = seal_slice_of(bytes, sizeof bytes);
    seal_slice part;
    uint8_t b;
    assert_false(seal_slice_take(&s, 4, &part));
    assert_int_equal(s.len, 3); /* unchanged */
    assert_true(seal_slice_take(&s, 2, &part));
    assert_int_equal(part.len, 2);
    assert_int_equal(part.data[1], 2);
    assert_true(seal_slice_byte(&s, &b));
    assert_int_equal(b, 3);
    assert_false(seal_slice_byte(&s, &b));
    assert_true(seal_slice_take(&s, 0, NULL));

    assert_true(seal_slice_eq(seal_slice_of(bytes, 2), seal_slice_of("\x01\x02", 2)));
    assert_false(seal_slice_eq(seal_slice_of(bytes, 2), seal_slice_of(bytes, 3)));
    assert_true(seal_slice_eq(seal_slice_of(NULL, 0), seal_slice_of(bytes, 0)));
}

static void hex_round_trip_and_bad_input(void **state)
{
    (void)state;
    const uint8_t bytes[] = {0x00, 0x9f, 0xab, 0xff};
    seal_buf hex = SEAL_BUF_INIT, back = SEAL_BUF_INIT;
    assert_int_equal(seal_hex_encode(&hex, bytes, sizeof bytes, false), 0);
    assert_string_equal((const char *)hex.data, "009fabff");
    seal_buf_clear(&hex);
    assert_int_equal(seal_hex_encode(&hex, bytes, sizeof bytes, true), 0);
    assert_string_equal((const char *)hex.data, "009FABFF");

    assert_int_equal(seal_hex_decode(&back, "009FabFF", 8), 0);
    assert_int_equal(back.len, 4);
    assert_memory_equal(back.data, bytes, 4);
    seal_buf_clear(&back);

    assert_int_equal(seal_hex_decode(&back, "abc", 3), SEAL_EFORMAT);
    assert_non_null(strstr(seal_error_last(), "odd number of digits (3)"));
    assert_int_equal(seal_hex_decode(&back, "00zz", 4), SEAL_EFORMAT);
    assert_non_null(strstr(seal_error_last(), "not a hex digit at position 2"));
    assert_int_equal(seal_hex_decode(&back, "0 00", 4), SEAL_EFORMAT);
    assert_non_null(strstr(seal_error_last(), "position 1"));
    assert_int_equal(seal_hex_decode(&back, "0x00", 4), SEAL_EFORMAT);
    seal_buf_clear(&back);
    seal_buf_clear(&hex);

    /* Empty in, empty out. */
    assert_int_equal(seal_hex_decode(&back, "", 0), 0);
    assert_int_equal(back.len, 0);
    seal_buf_clear(&back);
}

/* ---- files ---- */

static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            n++;
    closedir(d);
    return n;
}

static void atomic_write_replaces_target_and_leaves_no_temp_file(void **state)
{
    (void)state;
    char dir[512];
    snprintf(dir, sizeof dir, "%s", test_path(test_tmpdir(), "atomic"));
    assert_int_equal(mkdir(dir, 0700), 0);
    const char *path = test_path(dir, "seal.json");

    seal_buf b = SEAL_BUF_INIT, read = SEAL_BUF_INIT;
    seal_buf_set(&b, "first version, longer than the second",
                 strlen("first version, longer than the second"));
    assert_int_equal(seal_buf_write_file(&b, path, 0640), 0);
    seal_buf_set(&b, "second", 6);
    assert_int_equal(seal_buf_write_file(&b, path, 0600), 0);

    assert_int_equal(count_entries(dir), 1); /* only the target, no *.tmp left over */
    assert_int_equal(seal_buf_read_file(&read, path, 1024), 0);
    assert_int_equal(read.len, 6);
    assert_string_equal((const char *)read.data, "second");
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);

    /* A failed write (directory missing) reports the path and leaves nothing behind. */
    const char *missing = test_path(dir, "no-such-dir/out.bin");
    assert_int_equal(seal_buf_write_file(&b, missing, 0600), SEAL_EIO);
    assert_non_null(strstr(seal_error_last(), "no-such-dir/out.bin"));
    assert_int_equal(count_entries(dir), 1);

    /* Reads refuse files over the limit and things that are not files. */
    assert_int_equal(seal_buf_read_file(&read, path, 5), SEAL_EINVAL);
    assert_non_null(strstr(seal_error_last(), "too large (6 bytes, at most 5 allowed)"));
    assert_int_equal(seal_buf_read_file(&read, dir, 1024), SEAL_EIO);
    assert_non_null(strstr(seal_error_last(), "is not a regular file"));
    assert_int_equal(seal_buf_read_file(&read, missing, 1024), SEAL_EIO);
    assert_non_null(strstr(seal_error_last(), "cannot open"));

    /* An empty file reads as an empty, terminated buffer. */
    seal_buf empty = SEAL_BUF_INIT;
    const char *empty_path = test_path(dir, "empty");
    assert_int_equal(seal_buf_write_file(&empty, empty_path, 0600), 0);
    assert_int_equal(seal_buf_read_file(&read, empty_path, 1024), 0);
    assert_int_equal(read.len, 0);

    seal_buf_clear(&b);
    seal_buf_clear(&read);
}

/* An output written in pieces, synced beside the caller mid-way (as the stampers do while
 * they sign), then patched and committed: the file appears only at commit, whole, with
 * the mode asked for; an aborted one leaves nothing, and the target it would have
 * replaced is untouched. */
static void outfile_appears_whole_only_at_commit(void **state)
{
    (void)state;
    char dir[512];
    snprintf(dir, sizeof dir, "%s", test_path(test_tmpdir(), "outfile"));
    assert_int_equal(mkdir(dir, 0700), 0);
    const char *path = test_path(dir, "sealed.pdf");

    seal_outfile f = SEAL_OUTFILE_INIT;
    assert_int_equal(seal_outfile_open(&f, path), 0);
    assert_int_equal(seal_outfile_write_at(&f, "head <000000> tail", 18, 0), 0);
    seal_outfile_start_writeback(&f, 0, 18);
    seal_outfile_sync_start(&f, 0644);
    struct stat st;
    assert_int_equal(stat(path, &st), -1);   /* not there until commit */
    assert_int_equal(count_entries(dir), 1); /* the temporary file only */
    assert_int_equal(seal_outfile_write_at(&f, "abcdef", 6, 6), 0);
    assert_int_equal(seal_outfile_commit(&f, 0644), 0);
    assert_int_equal(f.fd, -1);
    assert_null(f.tmp);
    seal_outfile_abort(&f); /* harmless after commit */

    seal_buf read = SEAL_BUF_INIT;
    assert_int_equal(seal_buf_read_file(&read, path, 1024), 0);
    assert_string_equal((const char *)read.data, "head <abcdef> tail");
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0644);
    assert_int_equal(count_entries(dir), 1);

    /* Aborted, even with a sync running beside: no temporary file, the old file stays. */
    assert_int_equal(seal_outfile_open(&f, path), 0);
    assert_int_equal(seal_outfile_write_at(&f, "partial", 7, 0), 0);
    seal_outfile_sync_start(&f, 0644);
    seal_outfile_abort(&f);
    seal_outfile_abort(&f);
    assert_int_equal(count_entries(dir), 1);
    assert_int_equal(seal_buf_read_file(&read, path, 1024), 0);
    assert_string_equal((const char *)read.data, "head <abcdef> tail");

    /* A directory that does not exist: the error names the output. */
    assert_int_equal(seal_outfile_open(&f, test_path(dir, "none/out.pdf")), SEAL_EIO);
    assert_non_null(strstr(seal_error_last(), "cannot create the output"));
    assert_non_null(strstr(seal_error_last(), "none/out.pdf"));
    assert_int_equal(seal_outfile_commit(&f, 0644), SEAL_EINVAL);
    seal_buf_clear(&read);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(error_message_and_class),
        cmocka_unit_test(error_message_is_per_thread),
        cmocka_unit_test(error_wrap_prefixes_context),
        cmocka_unit_test(error_openssl_reason_appended_and_queue_cleared),
        cmocka_unit_test(guard_macros_jump_to_cleanup),
        cmocka_unit_test(buf_grows_and_stays_terminated),
        cmocka_unit_test(slices_never_read_past_the_end),
        cmocka_unit_test(hex_round_trip_and_bad_input),
        cmocka_unit_test(atomic_write_replaces_target_and_leaves_no_temp_file),
        cmocka_unit_test(outfile_appears_whole_only_at_commit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
