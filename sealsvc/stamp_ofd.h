/* The OFD half of `sealsvc stamp` (stamp_ofd.c), called from cmd_stamp.c once the options
 * are parsed and the seal is unlocked. */
#ifndef SEALSVC_STAMP_OFD_H
#define SEALSVC_STAMP_OFD_H

#include "stamp_audit.h"
#include <seal/ofd.h>
#include <seal/place.h>
#include <seal/store.h>
#include <stdbool.h>

/* True for a zip with OFD.xml, and for a file named *.ofd (which then gets OFD's messages
 * when it is damaged). */
bool stamp_is_ofd(const char *path);

/* "continue" (or NULL) and "lock"; -1 for anything else. */
int stamp_ofd_mode_parse(const char *text, seal_ofd_stamp_mode *mode);

/* Plans `req` over the OFD's pages into `plan` (the seal's picture and size filled in
 * from its GB/T 38540 data) and stamps (with a token from `tsa` over the signature value
 * when not NULL, its TSA chained to `tsa_trust` when given), filling `record`'s places,
 * how and digests; returns the exit code (an error printed). */
int stamp_ofd(const char *in, const char *out, const seal_signer *signer, const seal_record *rec,
              seal_place_request *req, seal_ofd_stamp_mode mode, const seal_tsp_client *tsa,
              const seal_trust *tsa_trust, seal_place_plan *plan, stamp_record *record);

/* The line that says what stamp_ofd did. */
void stamp_ofd_print(const char *out, const seal_record *rec, const seal_place_plan *plan,
                     seal_ofd_stamp_mode mode, bool timestamped, const char *signer_cn);

#endif
