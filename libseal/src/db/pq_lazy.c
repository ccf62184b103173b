/* Loads libpq on first use (see pq_lazy.h) through the lazy loader (base/lazy.h). The
 * library's name is the soname found at configure time (SEAL_PQ_SONAME), so the version
 * loaded is the one whose header the table was typed from. */
#include "db/pq_lazy.h"

#include "base/lazy.h"

#include <seal/error.h>

db_pq db_pq_fns;

/* db_pq's fields, each the name of a libpq function without its PQ prefix. */
#define PQ_FUNCTIONS(X)                                                                            \
    X(isthreadsafe)                                                                                \
    X(connectdbParams)                                                                             \
    X(status)                                                                                      \
    X(transactionStatus)                                                                           \
    X(errorMessage)                                                                                \
    X(setNoticeProcessor)                                                                          \
    X(finish)                                                                                      \
    X(exec)                                                                                        \
    X(execParams)                                                                                  \
    X(resultStatus)                                                                                \
    X(resultErrorField)                                                                            \
    X(cmdStatus)                                                                                   \
    X(cmdTuples)                                                                                   \
    X(ntuples)                                                                                     \
    X(nfields)                                                                                     \
    X(ftype)                                                                                       \
    X(getisnull)                                                                                   \
    X(getvalue)                                                                                    \
    X(getlength)                                                                                   \
    X(clear)
#define PQ_SYMBOL(name) {"PQ" #name, &db_pq_fns.name},
static const seal_lazy_symbol symbols[] = {PQ_FUNCTIONS(PQ_SYMBOL)};
SEAL_LAZY_COVERS(symbols, db_pq);

/* Connections are opened from several threads at once (db.h). */
static const char *start(void)
{
    return db_pq_fns.isthreadsafe() ? NULL : "PQisthreadsafe says it was built without threads";
}

static seal_lazy library = SEAL_LAZY_LIBRARY(SEAL_PQ_SONAME, "libpq", "a PostgreSQL database",
                                             SEAL_ESTORE, symbols, start);

int db_pq_load(void)
{
    return seal_lazy_load(&library);
}
