/* A stamp's parameters as the HTTP service reads them, for every route and worker that
 * stamps: the synchronous stamp and the two-phase prepare (routes_stamp.c) read them from
 * the request; a batch job's submit (routes_jobs.c) checks them the same way and keeps
 * them; the job's worker (jobs_worker.c) reads them back from the job. Each gives its own
 * lookup of a parameter by name, so that all of them build the seal_stamp_request the
 * same way (stamp_args.h, the command line's, underneath). */
#ifndef SEALSVC_HTTP_STAMP_INPUT_H
#define SEALSVC_HTTP_STAMP_INPUT_H

#include "stamp_args.h"

#include <seal/net.h>
#include <seal/revocation.h>
#include <seal/stamp.h>
#include <seal/store.h>

#include <jansson.h>
#include <stdbool.h>

#define STAMP_MAX_PLACEMENTS 32

/* stamp_input_read's answer when the parameters are wrong: seal_error_last() says why, in
 * words for a 400 (or a job document's failure). */
#define STAMP_INPUT_REFUSED 1

/* A parameter's text by name, NULL when absent. */
typedef const char *(*stamp_param_fn)(void *ctx, const char *name);

/* The placements: `placements`, a JSON array of objects with the flat parameters' names
 * (page, pages, at, keyword, occurrence, offset, seam), or the flat parameters for one. */
typedef struct stamp_input {
    stamp_args args;
    seal_place_request places[STAMP_MAX_PLACEMENTS];
    size_t n_places;
    json_t *placements; /* kept: the requests point into its strings */
    seal_stamp_level level;
    seal_tsp_client tsa;
    seal_trust *trust;
    seal_revocation *revocation;
} stamp_input;

/* Every parameter stamp_input_read reads (NULL-terminated): what a batch job keeps. */
extern const char *const stamp_input_names[];

/* Everything of a stamp request but the document, the output, the seal, the PIN and the
 * password into `rq` (pointing into `in` and into the parameters' texts, which must
 * outlive it). `default_tsa` is the service's TSA for B-T and above when the parameters
 * name none; a TSA the parameters name is reached only where `guard` allows (seal/net.h),
 * and so are the revocation sources its certificates name; `st` gives the trust anchors
 * and revocation sources those levels need.
 * 0; STAMP_INPUT_REFUSED when a parameter is wrong; or a negative error. */
int stamp_input_read(stamp_input *in, seal_stamp_request *rq, stamp_param_fn param, void *ctx,
                     seal_store *st, const char *default_tsa, const seal_net_guard *guard,
                     bool external);
void stamp_input_clear(stamp_input *in);

#endif
