/* The OFD half of `sealsvc stamp` (stamp_ofd.c), called from cmd_stamp.c once the options
 * are parsed and the seal is unlocked. */
#ifndef SEALSVC_STAMP_OFD_H
#define SEALSVC_STAMP_OFD_H

#include <seal/ofd.h>
#include <seal/place.h>
#include <seal/store.h>
#include <stdbool.h>

/* True for a zip with OFD.xml, and for a file named *.ofd (which then gets OFD's messages
 * when it is damaged). */
bool stamp_is_ofd(const char *path);

/* "continue" (or NULL) and "lock"; -1 for anything else. */
int stamp_ofd_mode_parse(const char *text, seal_ofd_stamp_mode *mode);

/* Plans `req` over the OFD's pages (the seal's picture and size filled in from its
 * GB/T 38540 data), stamps (with a token from `tsa` over the signature value when not
 * NULL, its TSA chained to `tsa_trust` when given), prints the result line; returns the
 * exit code. */
int stamp_ofd(const char *in, const char *out, const seal_signer *signer, const seal_record *rec,
              seal_place_request *req, seal_ofd_stamp_mode mode, const seal_tsp_client *tsa,
              const seal_trust *tsa_trust);

#endif
