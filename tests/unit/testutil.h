/* Shared helpers for the cmocka unit tests. */
#ifndef SEAL_TESTUTIL_H
#define SEAL_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

/* The shared corpus folder, or NULL (the caller skips with a message) when absent. */
const char *test_corpus_dir(void);
/* A fresh temporary directory under $TMPDIR, removed at exit. */
const char *test_tmpdir(void);
/* Path join into a static rotating buffer. */
const char *test_path(const char *dir, const char *name);

#endif
