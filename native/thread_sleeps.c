/*
 * threadSleeps(): how many times the calling thread has gone to sleep (voluntary context switches,
 * getrusage(RUSAGE_THREAD)), or the addon does not export it (not Linux).
 *
 * Why: the inline file-call watchdog (src/file-io/inline-file-io.ts) takes a slow synchronous
 * file call for a blocking disk and moves every file call to the thread pool for a while. On a
 * CPU-saturated machine a call is also slow when the event loop was merely preempted between two
 * runnable threads (100 busy client threads on 2 vCPUs: 25+ ms), which tripped the watchdog every
 * half a minute or so under load, exactly when the pool's extra cost hurts most. A call that
 * blocked on the disk slept (a voluntary switch); a preempted one did not.
 */
#define _GNU_SOURCE
#include "ferry_native.h"

#if defined(__linux__)

#include <sys/resource.h>

static napi_value thread_sleeps(napi_env env, napi_callback_info info) {
  (void)info;
  struct rusage usage;
  napi_value result;
  if (getrusage(RUSAGE_THREAD, &usage) != 0) return NULL; /* undefined: not known */
  napi_create_int64(env, (int64_t)usage.ru_nvcsw, &result);
  return result;
}

void ferry_register_thread_sleeps(napi_env env, napi_value exports) {
  ferry_set_function(env, exports, "threadSleeps", thread_sleeps);
}

#endif
