/* See thread.h. The cap is a process-wide counter of running helpers: a place is taken
 * before the thread is made and given back when it is joined. */
#include "base/thread.h"

#include <sched.h>
#include <stdatomic.h>

static atomic_int running;
static int cap;
static pthread_once_t cap_once = PTHREAD_ONCE_INIT;

static void init_cap(void)
{
    cpu_set_t allowed;
    cap = sched_getaffinity(0, sizeof allowed, &allowed) == 0 ? CPU_COUNT(&allowed) : 1;
    if (cap < 1)
        cap = 1;
}

int seal_thread_cap(void)
{
    pthread_once(&cap_once, init_cap);
    return cap;
}

static bool take_place(void)
{
    int limit = seal_thread_cap();
    int n = atomic_load(&running);
    do {
        if (n >= limit)
            return false;
    } while (!atomic_compare_exchange_weak(&running, &n, n + 1));
    return true;
}

bool seal_thread_start_beside(pthread_t *thread, void *(*fn)(void *), void *arg)
{
    if (!take_place())
        return false;
    pthread_attr_t attr;
    if (pthread_attr_init(&attr) != 0) {
        atomic_fetch_sub(&running, 1);
        return false;
    }
    cpu_set_t allowed;
    int here = sched_getcpu();
    if (here >= 0 && sched_getaffinity(0, sizeof allowed, &allowed) == 0 &&
        CPU_COUNT(&allowed) > 1 && CPU_ISSET(here, &allowed)) {
        CPU_CLR(here, &allowed);
        (void)pthread_attr_setaffinity_np(&attr, sizeof allowed, &allowed);
    }
    bool started = pthread_create(thread, &attr, fn, arg) == 0;
    pthread_attr_destroy(&attr);
    if (!started)
        atomic_fetch_sub(&running, 1);
    return started;
}

void seal_thread_join(pthread_t thread)
{
    pthread_join(thread, NULL);
    atomic_fetch_sub(&running, 1);
}
