/* Shared by the parts of Ferry's native helper (module.c, ordered_listing.c, socket_transfer.c, ...). */
#ifndef FERRY_NATIVE_H
#define FERRY_NATIVE_H

#include <node_api.h>
#include <stddef.h>
#include <stdint.h>

/* Numbers per entry in a stats answer: mode (-1: could not be stat'ed), size, mtimeMs, dev, ino. */
#define FIELDS_PER_ENTRY 5

/* Blocks kept for the next listing instead of going back to the system (kept_memory.c). Blocks of
   64 KiB and more are kept when given back, up to a bound; NULL when out of memory. */
void *ferry_kept_alloc(size_t size);
void ferry_kept_free(void *memory);
/* `memory` (may be NULL) with room for `size` bytes, the first `used` kept; NULL when out of memory
   (then `memory` is untouched). */
void *ferry_kept_grow(void *memory, size_t used, size_t size);
/* How many bytes a block from ferry_kept_alloc holds (at least what was asked for). */
size_t ferry_kept_capacity(const void *memory);

/* A directory's names, read in one go (directory_names.c). */
typedef struct {
  char *arena; /* every name, NUL-terminated, back to back */
  size_t arena_used;
  size_t arena_capacity;
  char **names; /* into arena, in the order readdir gave them */
  size_t count;
} FerryNameList;

/* Open `path` as a directory and read its names (without "." and "..") into a zeroed `list`; the
   directory stays open in *directory_fd for fstatat. 0, or the errno (then nothing is left open). */
int ferry_read_directory_names(const char *path, int *directory_fd, FerryNameList *list);
void ferry_free_names(FerryNameList *list);

/* lstat `name` relative to the open directory into FIELDS_PER_ENTRY numbers at `out`. */
void ferry_stat_entry(int directory_fd, const char *name, double *out);

/* The errno's name as Node reports it ("ENOENT", ...), "EIO" for one not listed. */
const char *ferry_errno_code(int error);

/* Set `object[name]` to a function calling `callback` (node_api_helpers.c). */
void ferry_set_function(napi_env env, napi_value object, const char *name, napi_callback callback);

/* Reject `deferred` with an Error whose code is `code` (node_api_helpers.c). */
void ferry_reject(napi_env env, napi_deferred deferred, const char *code, const char *message);

/* The call's first argument as a descriptor (a non-negative int32) in *descriptor: 1, or 0 after
   throwing a TypeError with `usage`. */
int ferry_descriptor_argument(napi_env env, napi_callback_info info, const char *usage, int32_t *descriptor);

/* The call's first argument as a malloc'ed UTF-8 string; NULL after throwing (TypeError with
   `usage` when it is not a string, or out of memory). */
char *ferry_string_argument(napi_env env, napi_callback_info info, const char *usage);

/* Resolve `deferred` with { count, names, [key]: value }, where names are `joined` ("\0"-separated
   UTF-8) as strings of whole names, each under V8's large-object size; 0 when out of memory (then
   nothing is resolved). */
int ferry_resolve_names(napi_env env, napi_deferred deferred, size_t count, const char *joined, size_t joined_length, const char *key, napi_value value);

/* `length` bytes of "\0"-separated names as one string: copied as Latin-1 when they are ASCII (the
   same characters, no decoding), else decoded as UTF-8 (invalid bytes become U+FFFD, as fs.readdir
   decodes names). */
napi_status ferry_create_names_string(napi_env env, const char *bytes, size_t length, napi_value *result);

/* A Float64Array over `values` (malloc'ed, `length` numbers), which it takes over in every case. */
napi_status ferry_create_float64_array(napi_env env, double *values, size_t length, napi_value *result);

/* Add openListing, statListing and closeListing to the exports (ordered_listing.c). */
void ferry_register_ordered_listing(napi_env env, napi_value exports);

#if defined(__linux__)
#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>

/* A transfer between a socket and a file, on a thread-pool thread or the sender thread (socket_transfer.c). */
enum { FERRY_ENDING_END, FERRY_ENDING_CANCELLED, FERRY_ENDING_STALLED };
enum { FERRY_SIDE_NONE, FERRY_SIDE_SOCKET, FERRY_SIDE_FILE, FERRY_SIDE_PIPE };
typedef struct FerrySocketTransfer FerrySocketTransfer;

/* What one kind of transfer (receiveToFile, sendFromFile) brings: its loop and its names. */
typedef struct {
  void (*run)(FerrySocketTransfer *transfer); /* the loop, on a thread-pool thread (NULL: not run there) */
  int has_length;                              /* takes a length argument after the position */
  const char *name;                            /* async resource name */
  const char *failure_message;                 /* message of the errors `done` rejects with */
  const char *usage;                           /* TypeError message for bad arguments */
} FerrySocketTransferKind;

struct FerrySocketTransfer {
  const FerrySocketTransferKind *kind;
  int socket_fd;    /* a duplicate of the caller's, closed once run() returned */
  int file_fd;      /* borrowed: open until `done` settles */
  int64_t position; /* in the file */
  int64_t length;   /* bytes to move, where the kind has a length */
  int64_t stall_ms; /* 0: never stalls */
  /* Shared with JavaScript: */
  atomic_int cancel;
  atomic_llong bytes;
  /* run()'s result: an errno and its side, or else how it ended. */
  int error;
  int side;
  int ending;
  /* The sender thread's (send_from_file.c): */
  FerrySocketTransfer *previous, *next; /* running (and, before that, handed over: next only) */
  FerrySocketTransfer *ready_next;       /* on the list of those to send to now */
  int64_t last_progress_ms;
  int is_watched; /* in the sender's epoll set */
  int is_ready;   /* on the ready list */
  napi_threadsafe_function delivery;
  /* Node-API bookkeeping: */
  napi_async_work work;
  napi_deferred deferred;
  int references; /* the async work and the control object; freed when both let go */
};

/* Start a transfer of `kind` from the call's arguments (socketFd, fileFd, position, [length,]
   stallTimeoutMs: non-negative integers, else a TypeError) on a thread-pool thread; returns its
   control object { done, cancel(), bytes() }, or NULL after throwing. */
napi_value ferry_start_socket_transfer(napi_env env, napi_callback_info info, const FerrySocketTransferKind *kind);
/* Create a transfer of `kind` from the call's arguments, as ferry_start_socket_transfer does, without
   starting it: the caller runs it and then settles it once, with ferry_settle_socket_transfer on
   the JavaScript thread. Returns the control object, or NULL after throwing. */
napi_value ferry_new_socket_transfer(napi_env env, napi_callback_info info, const FerrySocketTransferKind *kind, FerrySocketTransfer **created);
/* Settle `done` from how the transfer ended (napi_ok) or as ECANCELED (any other status), and let
   go of the runner's reference. */
void ferry_settle_socket_transfer(napi_env env, FerrySocketTransfer *transfer, napi_status status);
/* CLOCK_MONOTONIC in ms. */
int64_t ferry_now_ms(void);
/* Wait up to one poll interval for `events` on the transfer's socket; 1 when nothing happened and
   nothing moved for the stall timeout since `last_progress_ms`. */
int ferry_wait_for_socket(FerrySocketTransfer *transfer, short events, int64_t last_progress_ms);
#endif

#if defined(__linux__)
/* Add receiveToFile to the exports. */
void ferry_register_receive_to_file(napi_env env, napi_value exports);
/* Add sendFromFile to the exports. */
void ferry_register_send_from_file(napi_env env, napi_value exports);
/* Add threadSleeps to the exports. */
void ferry_register_thread_sleeps(napi_env env, napi_value exports);
/* Add listenTcp and acceptPending to the exports. */
void ferry_register_passive_socket(napi_env env, napi_value exports);
#endif

#if !defined(_WIN32)
/* Add pendingSocketError to the exports. */
void ferry_register_socket_error(napi_env env, napi_value exports);
#endif

#endif
