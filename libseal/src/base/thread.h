/* Helper threads that run beside their caller. Internal to libseal.
 *
 * A call may start a helper (hashing the input while the caller builds the update, an
 * fsync while the caller finishes); many calls at once must not start a thread each. At
 * most seal_thread_cap() helpers run at once in the whole process: one per CPU the
 * process may run on, since a helper only pays when it finds a core idle. Past the cap
 * seal_thread_start_beside() says no and the caller does the work on its own thread, as
 * it does when no thread can be made. */
#ifndef SEAL_BASE_THREAD_H
#define SEAL_BASE_THREAD_H

#include <pthread.h>
#include <stdbool.h>

/* Starts FN(ARG) on a new thread that may run on any allowed CPU but the caller's, so it
 * starts at once on an idle core instead of queueing behind its busy caller until the
 * scheduler migrates it (measured: 0.1 ms instead of up to 2 ms on a 2-core machine). With
 * a single allowed CPU it is an ordinary thread. False if no thread could be made or the
 * process already runs seal_thread_cap() helpers. A started helper is joined with
 * seal_thread_join(), which gives its place back. */
bool seal_thread_start_beside(pthread_t *thread, void *(*fn)(void *), void *arg);
void seal_thread_join(pthread_t thread);

/* The most helpers that run at once in the process (at least 1). */
int seal_thread_cap(void);

#endif
