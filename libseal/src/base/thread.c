/* See thread.h. */
#include "base/thread.h"

#include <sched.h>

bool seal_thread_start_beside(pthread_t *thread, void *(*fn)(void *), void *arg)
{
    pthread_attr_t attr;
    if (pthread_attr_init(&attr) != 0)
        return false;
    cpu_set_t allowed;
    int here = sched_getcpu();
    if (here >= 0 && sched_getaffinity(0, sizeof allowed, &allowed) == 0 &&
        CPU_COUNT(&allowed) > 1 && CPU_ISSET(here, &allowed)) {
        CPU_CLR(here, &allowed);
        (void)pthread_attr_setaffinity_np(&attr, sizeof allowed, &allowed);
    }
    bool started = pthread_create(thread, &attr, fn, arg) == 0;
    pthread_attr_destroy(&attr);
    return started;
}
