/*
 * Send a range of a file into a TCP socket with sendfile(2), on a thread-pool thread: the kernel
 * hands the page-cache pages to the socket, so the bytes are never copied through user space.
 *
 * Why: a big RETR otherwise reads each buffer from the page cache (copy 1) and writes it into the
 * socket (copy 2), both on the event loop; vsftpd sends with sendfile. On loopback the receiving
 * client then copies straight out of the page-cache pages. Measured on the 2-vCPU bench VM, 1 GiB
 * RETR by curl into /dev/null, alternated with the two-buffer sender, 3 runs each: server CPU
 * 0.94-1.87 s → 0.36-0.54 s, throughput 384-710 → 912-2050 MB/s (passive and active alike). With
 * the bench's load client, which hashes what it receives, both sit at its hashing ceiling
 * (~1.1-1.5 GB/s) and differ by less than the noise. Earlier tries on the event loop (a libuv poll
 * per EAGAIN) were slower than the two-buffer sender; for many 1 MiB files at once this path
 * measured no better (local-download.ts), so Ferry uses it for big downloads, two at a time.
 *
 * JS: sendFromFile(socketFd, fileFd, position, length, stallTimeoutMs) → a transfer control object
 *       (socket_transfer.c: { done, cancel(), bytes() })
 * The socket must be connected and have nothing queued in Node (its writes would interleave); it
 * stays open: this works on a duplicate of its descriptor, and the caller ends it afterwards. The
 * file descriptor is borrowed and must stay open until `done` settles; bytes come from `position`
 * (the file offset does not move). `done` resolves once `length` bytes were sent or the file ended
 * before that ("end": a file that shrank sends what there is), at the next chunk after cancel()
 * ("cancelled"), or when the socket took nothing for stallTimeoutMs ("stalled"; 0 = never). It
 * rejects with error.code, error.side ("socket" or "file") and error.bytes.
 */
#define _GNU_SOURCE
#include "ferry_native.h"

#if defined(__linux__)

#include <poll.h>
#include <sys/sendfile.h>

/* Largest count per sendfile(2); a non-blocking socket takes what fits in its buffer anyway. */
#define CHUNK_BYTES (2 << 20)

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

/* Runs on a thread-pool thread: no N-API calls here. */
static void send_range(FerrySocketTransfer *send) {
  off_t position = (off_t)send->position;
  int64_t left = send->length;
  int64_t last_progress = ferry_now_ms();
  while (left > 0) {
    if (atomic_load(&send->cancel)) {
      send->ending = FERRY_ENDING_CANCELLED;
      return;
    }
    ssize_t sent = sendfile(send->socket_fd, send->file_fd, &position, (size_t)(left > CHUNK_BYTES ? CHUNK_BYTES : left));
    if (sent > 0) {
      left -= sent;
      atomic_fetch_add(&send->bytes, sent);
      last_progress = ferry_now_ms();
      continue;
    }
    if (sent == 0) break; /* the file ended early */
    if (errno == EINTR) continue;
    if (errno != EAGAIN) {
      send->error = errno;
      send->side = is_socket_error(errno) ? FERRY_SIDE_SOCKET : FERRY_SIDE_FILE;
      return;
    }
    if (ferry_wait_for_socket(send, POLLOUT, last_progress)) {
      send->ending = FERRY_ENDING_STALLED;
      return;
    }
  }
  send->ending = FERRY_ENDING_END;
}

static const FerrySocketTransferKind kind = {
    .run = send_range,
    .has_length = 1,
    .name = "ferry.sendFromFile",
    .failure_message = "sendFromFile failed",
    .usage = "sendFromFile(socketFd, fileFd, position, length, stallTimeoutMs): non-negative integers",
};

static napi_value send_from_file(napi_env env, napi_callback_info info) {
  return ferry_start_socket_transfer(env, info, &kind);
}

void ferry_register_send_from_file(napi_env env, napi_value exports) {
  napi_value function;
  napi_create_function(env, "sendFromFile", NAPI_AUTO_LENGTH, send_from_file, NULL, &function);
  napi_set_named_property(env, exports, "sendFromFile", function);
}

#else

void ferry_register_send_from_file(napi_env env, napi_value exports) {
  (void)env;
  (void)exports;
}

#endif
