/* The platform's audit trail (src/audit/): one record per operation, each chained to the
 * one before by a MAC, so that a record edited, inserted or removed shows. The store, the
 * CA and the stamp driver write it in the transaction of the change they record; `sealsvc
 * audit` reads and checks it. */
#ifndef SEAL_AUDIT_H
#define SEAL_AUDIT_H

#include <seal/store.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

/* One audit record: who did what to what, with a MAC (HMAC-SHA256 under a key derived from
 * the key-encryption key) chained to the previous record so that a gap or an edit shows
 * (DESIGN.md "Audit"). Needs the KEK. Never give PINs or keys in `detail`. */
int seal_store_audit(seal_store *st, const char *actor, const char *action, const char *target,
                     const char *fmt, ...) __attribute__((format(printf, 5, 6)));

typedef struct seal_audit_record {
    int64_t id;
    time_t at;
    char *actor, *action, *target, *detail;
} seal_audit_record;

/* The records about `target` ("cert:SERIAL", "seal:ID"), oldest first; NULL: all. */
int seal_store_audit_list(seal_store *st, const char *target, seal_audit_record **out, size_t *n);
/* As seal_store_audit_list, only the records whose detail contains `text` (NULL: all), e.g.
 * a document digest in hex. */
int seal_store_audit_find(seal_store *st, const char *target, const char *text,
                          seal_audit_record **out, size_t *n);
/* Which records seal_store_audit_query reads: each member given narrows the list. */
typedef struct seal_audit_query {
    const char *target; /* "seal:ID", "cert:SERIAL"...; NULL: any */
    const char *action; /* "freeze", "stamp", "apikey-create"...; NULL: any */
    const char *actor;  /* "apikey:key-...", a user name; NULL: any */
    const char *text;   /* a substring of the detail (a document digest in hex); NULL: any */
    time_t from, to;    /* at >= from, at <= to; 0: no bound */
    int64_t after;      /* only records with a greater id (paging); 0: from the first */
    size_t limit;       /* at most this many; 0: all */
} seal_audit_query;

/* The records `q` asks for, oldest first (by id). */
int seal_store_audit_query(seal_store *st, const seal_audit_query *q, seal_audit_record **out,
                           size_t *n);
void seal_audit_records_free(seal_audit_record *records, size_t n);
/* Recomputes the hash chain; SEAL_ESTORE naming the first record that does not fit. */
int seal_store_audit_check(seal_store *st, size_t *records_out);

/* What a full check of the trail found. */
typedef struct seal_audit_summary {
    bool intact;
    char problem[256]; /* when not intact: the first record that does not fit, and how */
    size_t records;
    int64_t last_id; /* 0: the trail is empty */
    time_t last_at;
    char head[65];      /* the last record's hash (hex): note it to detect a later cut */
    int64_t anchor_id;  /* the record whose hash is `anchor`, when one was given */
    int64_t keyed_from; /* the first record keyed under the KEK (records before it, from an
                           older sealsvc, have a plain SHA-256 link) */
} seal_audit_summary;

/* Recomputes the chain into *out (0 when the trail could be read, intact or not): plain
 * SHA-256 links up to the record the migration to schema version 8 pinned (under the key),
 * keyed links after it, an unkeyed record after it refused as a downgrade. And
 * when ANCHOR (a head noted earlier) is given, looks for a record with that hash: records
 * cut from the end of the trail, or the whole trail rewritten, leave it out ("... is no
 * longer in the audit trail"). SEAL_ESTORE when the database cannot be read; an error
 * when the key-encryption key cannot be read. */
int seal_store_audit_verify(seal_store *st, const char *anchor, seal_audit_summary *out);

#ifdef __cplusplus
}
#endif
#endif
