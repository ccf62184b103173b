/* Shared helpers for the cmocka unit tests. */
#ifndef SEAL_TESTUTIL_H
#define SEAL_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <seal/pki.h>

#include <cmocka.h>

/* The shared corpus folder, or NULL (the caller skips with a message) when absent. */
const char *test_corpus_dir(void);
/* A fresh temporary directory under $TMPDIR, removed at exit. */
const char *test_tmpdir(void);
/* Path join into a static rotating buffer. */
const char *test_path(const char *dir, const char *name);

/* Runs a shell command made printf-style (up to 4 KiB); system()'s status. */
int test_run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* In `dir`, with the openssl CLI: a CA (ca.pem, ca.key, an `openssl ca` config ca.cnf with
 * its database, good.crl listing nothing), a signer it certified (s.key, s.pem, subject
 * /O=ORG/CN=ORG Signer) and an NSS database nss/ holding the signer as "signer", for
 * pdfsig -add-signature: signatures that are not ours. 0 on success. */
int test_make_nss_signer(const char *dir, const char *org);
/* True when `path` exists. */
bool test_exists(const char *path);
/* How many files in `dir` have ".tmp" in their names: what a failed write left behind. */
int test_temp_files(const char *dir);
/* A certificate for the tests' own PKI: `role` for `cn` (organisation `org`), valid from a
 * day before `now` for a year, over `key`; self-signed for SEAL_CERT_ROOT_CA, else issued
 * by `issuer` with `issuer_key`. Fails the test when it cannot be made. */
X509 *test_issue_cert(seal_cert_role role, const char *org, const char *cn, EVP_PKEY *key,
                      X509 *issuer, EVP_PKEY *issuer_key, time_t now);

/* ---- the store's suites on both engines ----
 * Run alone, the store suites use SQLite: the embedded default, DIR/sealsvc.db. With
 * SEAL_TEST_POSTGRES_URL set (tests/integration/lib/postgres.sh sets it; integration.
 * store_unit_postgres runs them so), each data directory gets its own PostgreSQL schema,
 * made on first use and dropped at exit, so every case starts from an empty database. */
typedef struct seal_store seal_store;
/* True when the suites run on PostgreSQL. */
bool test_store_on_postgres(void);
/* The database URL for data directory `dir`: NULL (the embedded SQLite file) or its
 * schema's PostgreSQL URL. */
const char *test_store_url(const char *dir);
/* seal_store_open_db(out, test_store_url(dir), dir, create). */
int test_store_open(seal_store **out, const char *dir, bool create);
#endif
