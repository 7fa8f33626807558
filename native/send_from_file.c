/*
 * Send a range of a file into a TCP socket with sendfile(2): the kernel hands the page-cache pages
 * to the socket, so the bytes are never copied through user space.
 *
 * Where it runs: up to `firstBytes` (what the caller allows on its thread; 0 by default) are sent
 * right away on the JavaScript thread, so a small file can end there with no thread involved; the
 * rest goes to the sender thread, one thread for every running sendFromFile of the process, which
 * waits for room in each socket with edge-triggered epoll and sends to whichever has some, in
 * turns of at most TURN_BYTES.
 *
 * Why: a RETR otherwise reads each buffer from the page cache (copy 1) and writes it into the
 * socket (copy 2), both on the event loop; vsftpd sends with sendfile. On loopback the receiving
 * client then copies straight out of the page-cache pages.
 * - Big files, 1 GiB RETR by curl into /dev/null on the 2-vCPU bench VM, alternated with the
 *   two-buffer sender, 3 runs each: server CPU 0.94-1.87 s → 0.36-0.54 s, throughput 384-710 →
 *   912-2050 MB/s (measured when these ran on thread-pool threads, two at a time).
 * - Many small files (bench `files`: 100 sessions, each downloading 1 MiB over fresh passive
 *   connections): on thread-pool threads, one held per transfer while its client read, only two
 *   could run, so most took the two-buffer path, whose read and write were ~60 % of the event
 *   loop's time. With every transfer on one epoll thread the event loop went from ~88 % of a CPU
 *   at ~770 files/s to ~47 % at ~875 (sender thread ~8 %), and the machine, which had idled
 *   ~10-17 %, became saturated; pair runs with vsftpd: 0.86× (911, 845, 798 vs 1185, 904, 980),
 *   0.79× (795, 814, 888 vs 986, 1065, 1029), where the two-buffer build had 0.77× (682, 797, 806
 *   vs 977, 1116, 1030). At 100 sessions 4 KiB, 64 KiB and 256 KiB files measured 10-40 % more
 *   files/s than through the buffers.
 *
 * JS: sendFromFile(socketFd, fileFd, position, length, stallTimeoutMs, [firstBytes])
 *       → a transfer control object (socket_transfer.c: { done, cancel(), bytes() })
 * The socket must be connected and have nothing queued in Node (its writes would interleave); it
 * stays open: this works on a duplicate of its descriptor, and the caller ends it afterwards. The
 * file descriptor is borrowed and must stay open until `done` settles; bytes come from `position`
 * (the file offset does not move). `done` resolves once `length` bytes were sent or the file ended
 * before that ("end": a file that shrank sends what there is), within POLL_INTERVAL_MS of cancel()
 * ("cancelled"), or when the socket took nothing for stallTimeoutMs ("stalled"; 0 = never). It
 * rejects with error.code, error.side ("socket" or "file") and error.bytes.
 */
#define _GNU_SOURCE
#include "ferry_native.h"

#if defined(__linux__)

#include <pthread.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/sendfile.h>
#include <unistd.h>

/* Largest count per sendfile(2); a non-blocking socket takes what fits in its buffer anyway. */
#define CHUNK_BYTES (2 << 20)
/* Bytes one transfer sends before the others get their turn (a fast reader of a big file would
   otherwise keep the thread to itself). */
#define TURN_BYTES (8 << 20)
/* How often the thread looks at cancel() and the stall clocks of transfers that wait for room. */
#define POLL_INTERVAL_MS 50

/* sendfile's errors that belong to the socket; the others (EIO, ...) to reading the file. */
static int is_socket_error(int error) {
  switch (error) {
    case EPIPE:
    case ECONNRESET:
    case ECONNABORTED:
    case ENOTCONN:
    case ETIMEDOUT:
    case EHOSTUNREACH:
    case ENETUNREACH:
    case ENETDOWN:
    case ENOTSOCK:
      return 1;
    default:
      return 0;
  }
}

/* Per Node environment (the main thread, each worker): where finished transfers are delivered. */
typedef struct {
  napi_threadsafe_function delivery;
  size_t running; /* touched on the JavaScript thread only */
} SenderEnvironment;

static pthread_once_t sender_once = PTHREAD_ONCE_INIT;
static int sender_start_error; /* an errno when the thread could not start */
static int epoll_fd = -1;
static int wake_fd = -1; /* an eventfd: transfers handed over */
static pthread_mutex_t incoming_lock = PTHREAD_MUTEX_INITIALIZER;
static FerrySocketTransfer *incoming; /* handed over, not yet taken by the thread (linked by next) */
static FerrySocketTransfer *active;   /* the thread's own: running transfers (doubly linked) */

enum { SEND_FULL, SEND_WAITS, SEND_HAS_MORE, SEND_ENDED };

/* sendfile until `limit` bytes were sent by this call (SEND_HAS_MORE), the socket takes no more
   now (SEND_FULL), or the transfer ended (SEND_ENDED, with its ending or error set). Used on the
   JavaScript thread for the first bytes and on the sender thread for each turn. */
static int send_up_to(FerrySocketTransfer *send, int64_t limit, int64_t now) {
  int64_t sent_here = 0;
  while (send->length > 0) {
    if (atomic_load(&send->cancel)) {
      send->ending = FERRY_ENDING_CANCELLED;
      return SEND_ENDED;
    }
    if (sent_here >= limit) return SEND_HAS_MORE;
    int64_t want = send->length < CHUNK_BYTES ? send->length : CHUNK_BYTES;
    if (want > limit - sent_here) want = limit - sent_here;
    off_t position = (off_t)send->position;
    ssize_t sent = sendfile(send->socket_fd, send->file_fd, &position, (size_t)want);
    if (sent > 0) {
      send->position += sent;
      send->length -= sent;
      sent_here += sent;
      atomic_fetch_add(&send->bytes, sent);
      send->last_progress_ms = now;
      continue;
    }
    if (sent == 0) break; /* the file ended early */
    if (errno == EINTR) continue;
    if (errno == EAGAIN) return SEND_FULL;
    send->error = errno;
    send->side = is_socket_error(errno) ? FERRY_SIDE_SOCKET : FERRY_SIDE_FILE;
    return SEND_ENDED;
  }
  send->ending = FERRY_ENDING_END;
  return SEND_ENDED;
}

/* The sender thread's turn: SEND_WAITS when the socket is full (then watched for EPOLLOUT),
   else as send_up_to. */
static int send_some(FerrySocketTransfer *send, int64_t now) {
  int state = send_up_to(send, TURN_BYTES, now);
  if (state != SEND_FULL) return state;
  if (send->is_watched) return SEND_WAITS;
  /* Edge-triggered: reported once each time the socket turns writable again. Adding it checks the
     socket's state now, so room made since the EAGAIN is not missed. */
  struct epoll_event wanted = {.events = EPOLLOUT | EPOLLET, .data.ptr = send};
  if (epoll_ctl(epoll_fd, EPOLL_CTL_ADD, send->socket_fd, &wanted) == 0) {
    send->is_watched = 1;
    return SEND_WAITS;
  }
  send->error = errno;
  send->side = FERRY_SIDE_SOCKET;
  return SEND_ENDED;
}

/* Off the thread's list and its epoll set, the duplicate closed, handed to JavaScript. */
static void finish(FerrySocketTransfer *send) {
  if (send->is_watched) epoll_ctl(epoll_fd, EPOLL_CTL_DEL, send->socket_fd, NULL); /* the caller's descriptor keeps the socket open */
  close(send->socket_fd);
  if (send->previous != NULL) send->previous->next = send->next;
  else active = send->next;
  if (send->next != NULL) send->next->previous = send->previous;
  /* Fails only while the environment is torn down (a worker exiting); the transfer is then left. */
  napi_call_threadsafe_function(send->delivery, send, napi_tsfn_nonblocking);
}

/* Take the transfers handed over since the last look: each is running and ready to send to. */
static FerrySocketTransfer *take_incoming(int64_t now, FerrySocketTransfer *ready) {
  uint64_t count;
  ssize_t drained = read(wake_fd, &count, sizeof count);
  (void)drained;
  pthread_mutex_lock(&incoming_lock);
  FerrySocketTransfer *taken = incoming;
  incoming = NULL;
  pthread_mutex_unlock(&incoming_lock);
  while (taken != NULL) {
    FerrySocketTransfer *send = taken;
    taken = taken->next;
    send->previous = NULL;
    send->next = active;
    if (active != NULL) active->previous = send;
    active = send;
    send->last_progress_ms = now;
    send->is_ready = 1;
    send->ready_next = ready;
    ready = send;
  }
  return ready;
}

/* The sender thread: every running sendFromFile, each sent to when its socket has room. Work per
   wake-up is for the sockets that have room; cancel() and the stall clocks are looked at once per
   POLL_INTERVAL_MS over all of them, so a thousand waiting transfers cost nothing per event. No
   Node-API calls here but the thread-safe function's. */
static void *run_sender(void *unused) {
  (void)unused;
  struct epoll_event events[64];
  FerrySocketTransfer *ready = NULL; /* to send to now (linked by ready_next) */
  int64_t last_look = 0;
  for (;;) {
    int timeout = ready != NULL ? 0 : active != NULL ? POLL_INTERVAL_MS : -1;
    int count = epoll_wait(epoll_fd, events, 64, timeout);
    int64_t now = ferry_now_ms();
    for (int index = 0; index < count; index++) {
      FerrySocketTransfer *send = events[index].data.ptr;
      if (send == NULL) {
        ready = take_incoming(now, ready);
      } else if (!send->is_ready) {
        send->is_ready = 1;
        send->ready_next = ready;
        ready = send;
      }
    }
    FerrySocketTransfer *list = ready;
    ready = NULL;
    while (list != NULL) {
      FerrySocketTransfer *send = list;
      list = list->ready_next;
      send->is_ready = 0;
      int state = SEND_ENDED;
      if (atomic_load(&send->cancel)) send->ending = FERRY_ENDING_CANCELLED;
      else state = send_some(send, now);
      if (state == SEND_ENDED) {
        finish(send);
      } else if (state == SEND_HAS_MORE) {
        send->is_ready = 1;
        send->ready_next = ready;
        ready = send;
      }
    }
    if (now - last_look < POLL_INTERVAL_MS) continue;
    last_look = now;
    for (FerrySocketTransfer *send = active, *next; send != NULL; send = next) {
      next = send->next;
      if (send->is_ready) continue; /* on the ready list: its turn comes next, cancel() included */
      if (atomic_load(&send->cancel)) {
        send->ending = FERRY_ENDING_CANCELLED;
        finish(send);
      } else if (send->stall_ms > 0 && now - send->last_progress_ms >= send->stall_ms) {
        send->ending = FERRY_ENDING_STALLED;
        finish(send);
      }
    }
  }
  return NULL;
}

static void start_sender(void) {
  epoll_fd = epoll_create1(EPOLL_CLOEXEC);
  wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  struct epoll_event wake = {.events = EPOLLIN, .data.ptr = NULL};
  pthread_t thread;
  pthread_attr_t attributes;
  if (epoll_fd < 0 || wake_fd < 0 || epoll_ctl(epoll_fd, EPOLL_CTL_ADD, wake_fd, &wake) != 0) {
    sender_start_error = errno;
    return;
  }
  pthread_attr_init(&attributes);
  pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
  sender_start_error = pthread_create(&thread, &attributes, run_sender, NULL);
  pthread_attr_destroy(&attributes);
}

static void wake_sender(void) {
  uint64_t one = 1;
  ssize_t written = write(wake_fd, &one, sizeof one);
  (void)written; /* fails only when the counter is full, and then the thread is woken anyway */
}

/* On the JavaScript thread: settle a transfer the sender thread finished. */
static void deliver(napi_env env, napi_value callback, void *context, void *data) {
  (void)callback;
  if (env == NULL) return; /* the environment is being torn down */
  SenderEnvironment *environment = context;
  /* Keep the event loop alive only while transfers run, as the thread pool's work does. */
  if (--environment->running == 0) napi_unref_threadsafe_function(env, environment->delivery);
  ferry_settle_socket_transfer(env, data, napi_ok);
}

static void free_environment(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  free(data);
}

static SenderEnvironment *environment_of(napi_env env) {
  SenderEnvironment *environment = NULL;
  if (napi_get_instance_data(env, (void **)&environment) == napi_ok && environment != NULL) return environment;
  environment = calloc(1, sizeof(SenderEnvironment));
  if (environment == NULL) return NULL;
  napi_value name;
  napi_create_string_utf8(env, "ferry.sendFromFile", NAPI_AUTO_LENGTH, &name);
  if (napi_create_threadsafe_function(env, NULL, NULL, name, 0, 1, NULL, NULL, environment, deliver, &environment->delivery) != napi_ok) {
    free(environment);
    return NULL;
  }
  napi_unref_threadsafe_function(env, environment->delivery);
  napi_set_instance_data(env, environment, free_environment, NULL);
  return environment;
}

static const FerrySocketTransferKind kind = {
    .run = NULL,
    .has_length = 1,
    .name = "ferry.sendFromFile",
    .failure_message = "sendFromFile failed",
    .usage = "sendFromFile(socketFd, fileFd, position, length, stallTimeoutMs, [firstBytes]): non-negative integers",
};

static napi_value send_from_file(napi_env env, napi_callback_info info) {
  pthread_once(&sender_once, start_sender);
  SenderEnvironment *environment = sender_start_error == 0 ? environment_of(env) : NULL;
  if (environment == NULL) {
    napi_throw_error(env, ferry_errno_code(sender_start_error != 0 ? sender_start_error : ENOMEM), "cannot start the sender thread");
    return NULL;
  }
  size_t argc = 6;
  napi_value argv[6];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int64_t first_bytes = 0;
  napi_valuetype type = napi_undefined;
  if (argc >= 6) napi_typeof(env, argv[5], &type);
  if (type != napi_undefined && (napi_get_value_int64(env, argv[5], &first_bytes) != napi_ok || first_bytes < 0)) {
    napi_throw_type_error(env, NULL, kind.usage);
    return NULL;
  }
  FerrySocketTransfer *send;
  napi_value control = ferry_new_socket_transfer(env, info, &kind, &send);
  if (control == NULL) return NULL;
  send->delivery = environment->delivery;
  /* Up to first_bytes now, on this thread; the rest is the sender thread's. */
  if (send_up_to(send, first_bytes, 0) == SEND_ENDED) {
    close(send->socket_fd);
    ferry_settle_socket_transfer(env, send, napi_ok);
    return control;
  }
  if (environment->running++ == 0) napi_ref_threadsafe_function(env, environment->delivery);
  pthread_mutex_lock(&incoming_lock);
  send->next = incoming;
  incoming = send;
  pthread_mutex_unlock(&incoming_lock);
  wake_sender();
  return control;
}

void ferry_register_send_from_file(napi_env env, napi_value exports) {
  ferry_set_function(env, exports, "sendFromFile", send_from_file);
}

#endif
