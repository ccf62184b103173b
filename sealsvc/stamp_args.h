/* A stamp's parameters as text, turned into a seal_stamp_request: the one place where the
 * command line (`sealsvc stamp`, its flags) and the HTTP service (`POST /api/v1/stamp`,
 * its query or form fields) say what a placement, a level or a lock means, so both ask
 * the library for the same stamp. It also writes what an external signer needs (a
 * prepared stamp) as JSON, for both faces. Nothing here knows PDF from OFD. */
#ifndef SEALSVC_STAMP_ARGS_H
#define SEALSVC_STAMP_ARGS_H

#include <seal/place.h>
#include <seal/stamp.h>

#include <jansson.h>
#include <stdbool.h>

/* Every field is the text as given, NULL when not given. */
typedef struct stamp_args {
    /* How the parameters are named in messages: "--" on the command line ("--at wants
     * X,Y..."), "" over HTTP ("at wants X,Y..."). */
    const char *prefix;
    const char *page, *pages, *at, *keyword, *occurrence, *offset, *seam;
    bool invisible;
    const char *reason, *location, *mode, *certify, *lock_fields, *qr;
    bool external;
    const char *expires;
    const char *doc; /* the document of a file that holds several (1 = first) */
    /* The input's examination: "strict", "warn" or "off" (NULL: rq->input_policy as the
     * caller set it, its face's default); a normalised rewrite when it finds something; a
     * document whose signature no longer verifies stamped anyway. */
    const char *input_policy;
    bool normalise;
    bool allow_broken_signatures;
} stamp_args;

/* One placement from `a` into *place (and the invisible signature's page into
 * rq->page, the placement-free fields of rq from `a` too: reason, location, lock, certify,
 * lock_fields, qr, external, pending_ttl, document, input_policy (when given), normalise,
 * allow_broken_signatures). The strings stay `a`'s. 0, or SEAL_EINVAL with
 * a message that names the parameter as the user wrote it. */
int stamp_args_build(const stamp_args *a, seal_stamp_request *rq, seal_place_request *place);

/* Only the placement part: the fields page, pages, at, keyword, occurrence, offset, seam
 * (and invisible, refused here: one placement of several cannot be invisible). */
int stamp_args_place(const stamp_args *a, seal_place_request *place);

/* "B-B", "B-T", "B-LT", "B-LTA" (case-insensitive) into *level; SEAL_EINVAL otherwise. */
int stamp_args_level(const char *text, const char *prefix, seal_stamp_level *level);

/* What the signer of a prepared stamp (rq->external) needs: id, seal, format, algorithm,
 * digest (base64), whether it is SM2's e, the signed data (base64), expiry (text and
 * seconds), the signer; `output` added when not NULL. A new reference, or NULL. */
json_t *stamp_prepared_json(const seal_stamp_result *r, const char *output);

#endif
