/*
 * What receiveToFile (receive_to_file.c) and sendFromFile (send_from_file.c) share: a transfer
 * between a socket and a file, run on a thread-pool thread (receiveToFile) or by the sender thread
 * (sendFromFile), and its JavaScript face,
 *   { done: Promise<{ bytes, ending: "end" | "cancelled" | "stalled" }>, cancel(), bytes() },
 * where `done` rejects with error.code (errno name), error.side ("socket", "file" or "pipe") and
 * error.bytes. Each file only supplies its loop and names (FerrySocketTransferKind).
 */
#define _GNU_SOURCE
#include "ferry_native.h"

#if defined(__linux__)

#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

/* How often a waiting transfer looks at cancel() and the stall clock. */
#define POLL_INTERVAL_MS 50

int64_t ferry_now_ms(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

int ferry_wait_for_socket(FerrySocketTransfer *transfer, short events, int64_t last_progress_ms) {
  struct pollfd wanted = {transfer->socket_fd, events, 0};
  int ready = poll(&wanted, 1, POLL_INTERVAL_MS);
  return ready == 0 && transfer->stall_ms > 0 && ferry_now_ms() - last_progress_ms >= transfer->stall_ms;
}

static void release(napi_env env, FerrySocketTransfer *transfer) {
  if (--transfer->references > 0) return;
  if (transfer->work != NULL) napi_delete_async_work(env, transfer->work);
  free(transfer);
}

/* Runs on a thread-pool thread: no N-API calls here. The duplicate socket is closed afterwards. */
static void execute(napi_env env, void *data) {
  (void)env;
  FerrySocketTransfer *transfer = data;
  transfer->kind->run(transfer);
  close(transfer->socket_fd);
}

static void complete(napi_env env, napi_status status, void *data) {
  ferry_settle_socket_transfer(env, data, status);
}

void ferry_settle_socket_transfer(napi_env env, FerrySocketTransfer *transfer, napi_status status) {
  napi_value bytes;
  napi_create_int64(env, (int64_t)atomic_load(&transfer->bytes), &bytes);
  if (status != napi_ok || transfer->error != 0) {
    static const char *sides[] = {"none", "socket", "file", "pipe"};
    napi_value code, message, error, side;
    napi_create_string_utf8(env, status != napi_ok ? "ECANCELED" : ferry_errno_code(transfer->error), NAPI_AUTO_LENGTH, &code);
    napi_create_string_utf8(env, transfer->kind->failure_message, NAPI_AUTO_LENGTH, &message);
    napi_create_error(env, code, message, &error);
    napi_create_string_utf8(env, sides[transfer->side], NAPI_AUTO_LENGTH, &side);
    napi_set_named_property(env, error, "side", side);
    napi_set_named_property(env, error, "bytes", bytes);
    napi_reject_deferred(env, transfer->deferred, error);
  } else {
    static const char *endings[] = {"end", "cancelled", "stalled"};
    napi_value result, ending;
    napi_create_object(env, &result);
    napi_create_string_utf8(env, endings[transfer->ending], NAPI_AUTO_LENGTH, &ending);
    napi_set_named_property(env, result, "bytes", bytes);
    napi_set_named_property(env, result, "ending", ending);
    napi_resolve_deferred(env, transfer->deferred, result);
  }
  release(env, transfer);
}

/* The control object's methods find their transfer through `this`, so a method taken off the
   object and called later cannot reach freed memory. */
static FerrySocketTransfer *transfer_of_this(napi_env env, napi_callback_info info) {
  napi_value self;
  void *data = NULL;
  if (napi_get_cb_info(env, info, NULL, NULL, &self, NULL) != napi_ok) return NULL;
  if (napi_unwrap(env, self, &data) != napi_ok) return NULL;
  return data;
}

static napi_value cancel(napi_env env, napi_callback_info info) {
  FerrySocketTransfer *transfer = transfer_of_this(env, info);
  if (transfer != NULL) atomic_store(&transfer->cancel, 1);
  return NULL;
}

static napi_value bytes_so_far(napi_env env, napi_callback_info info) {
  FerrySocketTransfer *transfer = transfer_of_this(env, info);
  napi_value bytes;
  napi_create_int64(env, transfer != NULL ? (int64_t)atomic_load(&transfer->bytes) : 0, &bytes);
  return bytes;
}

static void finalize_control(napi_env env, void *data, void *hint) {
  (void)hint;
  release(env, data);
}

napi_value ferry_new_socket_transfer(napi_env env, napi_callback_info info, const FerrySocketTransferKind *kind, FerrySocketTransfer **created) {
  size_t argc = 5;
  napi_value argv[5];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  /* socketFd, fileFd, position, [length,] stallTimeoutMs */
  size_t wanted = kind->has_length ? 5 : 4;
  int64_t numbers[5] = {-1, -1, -1, -1, -1};
  int is_valid = argc >= wanted;
  for (size_t index = 0; is_valid && index < wanted; index++) {
    is_valid = napi_get_value_int64(env, argv[index], &numbers[index]) == napi_ok && numbers[index] >= 0;
  }
  if (!is_valid || numbers[0] > INT32_MAX || numbers[1] > INT32_MAX) {
    napi_throw_type_error(env, NULL, kind->usage);
    return NULL;
  }
  int duplicate = fcntl((int)numbers[0], F_DUPFD_CLOEXEC, 0);
  if (duplicate < 0) {
    napi_throw_error(env, ferry_errno_code(errno), "cannot duplicate the socket descriptor");
    return NULL;
  }
  FerrySocketTransfer *transfer = calloc(1, sizeof(FerrySocketTransfer));
  if (transfer == NULL) {
    close(duplicate);
    napi_throw_error(env, "ENOMEM", "out of memory");
    return NULL;
  }
  transfer->kind = kind;
  transfer->socket_fd = duplicate;
  transfer->file_fd = (int)numbers[1];
  transfer->position = numbers[2];
  transfer->length = kind->has_length ? numbers[3] : 0;
  transfer->stall_ms = numbers[wanted - 1];
  transfer->references = 2;

  napi_value control, promise;
  napi_create_object(env, &control);
  napi_create_promise(env, &transfer->deferred, &promise);
  napi_set_named_property(env, control, "done", promise);
  ferry_set_function(env, control, "cancel", cancel);
  ferry_set_function(env, control, "bytes", bytes_so_far);
  napi_wrap(env, control, transfer, finalize_control, NULL, NULL);
  *created = transfer;
  return control;
}

napi_value ferry_start_socket_transfer(napi_env env, napi_callback_info info, const FerrySocketTransferKind *kind) {
  FerrySocketTransfer *transfer;
  napi_value control = ferry_new_socket_transfer(env, info, kind, &transfer);
  if (control == NULL) return NULL;
  napi_value resource_name;
  napi_create_string_utf8(env, kind->name, NAPI_AUTO_LENGTH, &resource_name);
  napi_create_async_work(env, NULL, resource_name, execute, complete, transfer, &transfer->work);
  napi_queue_async_work(env, transfer->work);
  return control;
}

#endif
