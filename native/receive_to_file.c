/*
 * Upload bytes from a TCP socket into a file with splice(2): socket → pipe → file, on a
 * thread-pool thread, without the bytes ever entering user space.
 *
 * Why: a 1 GiB STOR spends most of the server's CPU on two copies, socket → our buffer (recv) and
 * buffer → page cache (write), plus one JavaScript callback per chunk. splice moves the socket's
 * pages into a pipe without copying (loopback and most NICs), so only the page-cache copy is
 * left, and it runs off the event loop. Measured on the bench VM with a bare C receiver (1 GiB,
 * interleaved): splice 750-2628 MB/s (median ~1750), read+write with 64 KiB (vsftpd's way)
 * 470-1491 (~860), 256 KiB reads with 32 KiB writes (Ferry's JavaScript path) 434-708 (~620).
 *
 * JS: receiveToFile(socketFd, fileFd, position, stallTimeoutMs) → a transfer control object
 *       (socket_transfer.c: { done, cancel(), bytes() })
 * The socket must be connected, not read by anyone else (a paused Node socket), and stays open:
 * this works on a duplicate of its descriptor, closed at the end. The file descriptor is borrowed
 * and must stay open until `done` settles; bytes go at `position` onward (pwrite-like: the file
 * offset does not move; O_APPEND files are refused by the kernel, EINVAL). `done` resolves at
 * the socket's EOF ("end"), after cancel() once the bytes already received are written
 * ("cancelled"), or when nothing arrived for stallTimeoutMs ("stalled"; 0 = never). It rejects
 * with error.code (errno name), error.side ("socket", "file" or "pipe") and error.bytes.
 */
#define _GNU_SOURCE
#include "ferry_native.h"

#if defined(__linux__)

#include <fcntl.h>
#include <poll.h>
#include <sys/types.h>
#include <unistd.h>

/* Pipe size asked for (the kernel may give less): bytes moved per splice. */
#define PIPE_BYTES (1 << 20)

/* Runs on a thread-pool thread: no N-API calls here. */
static void receive(FerrySocketTransfer *receive) {
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) {
    receive->error = errno;
    receive->side = FERRY_SIDE_PIPE;
    return;
  }
  fcntl(pipe_fds[1], F_SETPIPE_SZ, PIPE_BYTES); /* best effort: the default 64 KiB works too */
  int capacity = fcntl(pipe_fds[1], F_GETPIPE_SZ);
  if (capacity <= 0) capacity = 64 * 1024;
  loff_t position = (loff_t)receive->position;
  int64_t last_progress = ferry_now_ms();
  int is_draining = 0;
  for (;;) {
    if (!is_draining && atomic_load(&receive->cancel)) is_draining = 1;
    ssize_t moved = splice(receive->socket_fd, NULL, pipe_fds[1], NULL, (size_t)capacity, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
    if (moved > 0) {
      size_t left = (size_t)moved;
      while (left > 0) {
        ssize_t written = splice(pipe_fds[0], NULL, receive->file_fd, &position, left, SPLICE_F_MOVE);
        if (written < 0 && errno == EINTR) continue;
        if (written <= 0) {
          receive->error = written < 0 ? errno : EIO;
          receive->side = FERRY_SIDE_FILE;
          goto finish;
        }
        left -= (size_t)written;
        atomic_fetch_add(&receive->bytes, written);
      }
      last_progress = ferry_now_ms();
      continue;
    }
    if (moved == 0) {
      receive->ending = FERRY_ENDING_END;
      break;
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN) {
      receive->error = errno;
      receive->side = FERRY_SIDE_SOCKET;
      break;
    }
    /* Nothing waiting: after cancel() that is the end (everything received was written). */
    if (is_draining) {
      receive->ending = FERRY_ENDING_CANCELLED;
      break;
    }
    if (ferry_wait_for_socket(receive, POLLIN | POLLRDHUP, last_progress)) {
      receive->ending = FERRY_ENDING_STALLED;
      break;
    }
  }
finish:
  close(pipe_fds[0]);
  close(pipe_fds[1]);
}

static const FerrySocketTransferKind kind = {
    .run = receive,
    .has_length = 0,
    .name = "ferry.receiveToFile",
    .failure_message = "receiveToFile failed",
    .usage = "receiveToFile(socketFd, fileFd, position, stallTimeoutMs): non-negative integers",
};

static napi_value receive_to_file(napi_env env, napi_callback_info info) {
  return ferry_start_socket_transfer(env, info, &kind);
}

void ferry_register_receive_to_file(napi_env env, napi_value exports) {
  ferry_set_function(env, exports, "receiveToFile", receive_to_file);
}

#endif
