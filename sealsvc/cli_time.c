/* Times typed on the command line (`ca revoke --invalidity-date`, `cert status --at`):
 * ISO 8601 as GLib reads it, with UTC when no zone is given, a bare date, or seconds. */
#include "cli.h"

#include <seal/error.h>

#include <glib.h>
#include <stdlib.h>
#include <string.h>

int cli_parse_time(const char *text, time_t *out)
{
    GDateTime *dt = NULL;
    GTimeZone *utc = g_time_zone_new_utc();
    char *end = NULL;
    int rc = 0;
    if (!text || !*text) {
        rc = seal_error_set(SEAL_EINVAL, "no time given");
    } else if (strcmp(text, "now") == 0) {
        *out = time(NULL);
    } else if (text[0] == '@') {
        long long v = strtoll(text + 1, &end, 10);
        if (end == text + 1 || *end || v < 0)
            rc = seal_error_set(SEAL_EINVAL, "'%s' is not @SECONDS since 1970", text);
        else
            *out = (time_t)v;
    } else {
        char *full = strlen(text) == 10 ? g_strconcat(text, "T00:00:00", NULL) : g_strdup(text);
        dt = g_date_time_new_from_iso8601(full, utc);
        g_free(full);
        if (!dt)
            rc = seal_error_set(SEAL_EINVAL,
                                "'%s' is not a time (use 2026-05-01T08:00:00Z, "
                                "2026-05-01T16:00:00+08:00, 2026-05-01, @SECONDS or now)",
                                text);
        else
            *out = (time_t)g_date_time_to_unix(dt);
    }
    if (dt)
        g_date_time_unref(dt);
    g_time_zone_unref(utc);
    return rc;
}

char *cli_time_text(time_t t)
{
    GDateTime *dt = g_date_time_new_from_unix_utc(t);
    char *text = dt ? g_date_time_format(dt, "%Y-%m-%dT%H:%M:%SZ") : g_strdup("?");
    if (dt)
        g_date_time_unref(dt);
    return text;
}
