/* libpq, loaded on first use (base/lazy.h). libpq pulls in GSSAPI, LDAP, Kerberos and
 * more; linked, every sealsvc command would load them at start-up, though only a store on
 * PostgreSQL needs them (docs/performance.md). So libseal is not linked with it: the first
 * PostgreSQL connection opens it with dlopen, and engine_postgres.c calls it through this
 * table. */
#ifndef SEAL_DB_PQ_LAZY_H
#define SEAL_DB_PQ_LAZY_H

#include <libpq-fe.h>

/* Each field typed from libpq's own header, so a call through it is checked as a direct
 * call would be; each named as the function without its PQ prefix. */
typedef struct db_pq {
    __typeof__(PQisthreadsafe) *isthreadsafe;
    __typeof__(PQconnectdbParams) *connectdbParams;
    __typeof__(PQstatus) *status;
    __typeof__(PQtransactionStatus) *transactionStatus;
    __typeof__(PQerrorMessage) *errorMessage;
    __typeof__(PQsetNoticeProcessor) *setNoticeProcessor;
    __typeof__(PQfinish) *finish;
    __typeof__(PQexec) *exec;
    __typeof__(PQexecParams) *execParams;
    __typeof__(PQresultStatus) *resultStatus;
    __typeof__(PQresultErrorField) *resultErrorField;
    __typeof__(PQcmdStatus) *cmdStatus;
    __typeof__(PQcmdTuples) *cmdTuples;
    __typeof__(PQntuples) *ntuples;
    __typeof__(PQnfields) *nfields;
    __typeof__(PQftype) *ftype;
    __typeof__(PQgetisnull) *getisnull;
    __typeof__(PQgetvalue) *getvalue;
    __typeof__(PQgetlength) *getlength;
    __typeof__(PQclear) *clear;
} db_pq;

/* The table, filled by db_pq_load; read it only after that returned 0. */
extern db_pq db_pq_fns;

/* Loads libpq on the first call (safe from any thread); SEAL_ESTORE naming the library
 * when it cannot be loaded or is not thread-safe, every time it is asked again. */
int db_pq_load(void);

#endif
