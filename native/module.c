/*
 * Ferry's native helper: the module's entry point. Node has no fstatat(2), no batch stat, no
 * splice(2) and no sendfile(2); the helper adds them where listings and transfers need them:
 * - ordered_listing.c: openListing/statListing/closeListing, a directory's names sorted at once
 *   and their lstat numbers in ranges (directory_names.c reads and stats);
 * - receive_to_file.c (Linux): receiveToFile, an upload spliced from the socket into the file;
 * - send_from_file.c (Linux): sendFromFile, a download sent with sendfile(2), mostly by its own
 *   sender thread; both go through socket_transfer.c;
 * - socket_error.c: pendingSocketError, a reset libuv reported as an end of stream;
 * - thread_sleeps.c (Linux): threadSleeps, whether a slow inline file call blocked or was preempted;
 * - passive_socket.c (Linux): listenTcp/acceptPending, a passive data port and its connection as
 *   bare descriptors, for downloads sent with sendFromFile.
 * Built by node-gyp at install (binding.gyp); optional: without it Ferry does the same from
 * JavaScript. The Node-API pieces these share are in node_api_helpers.c; the listings' buffers
 * come from kept_memory.c, which keeps them for the next listing.
 */
#include <node_api.h>

#include "ferry_native.h"

static napi_value init(napi_env env, napi_value exports) {
  napi_value fields;
  napi_create_uint32(env, FIELDS_PER_ENTRY, &fields);
  napi_set_named_property(env, exports, "fieldsPerEntry", fields);
  napi_value listing_version; /* native-addon.ts refuses a build from older sources */
  napi_create_uint32(env, 2, &listing_version);
  napi_set_named_property(env, exports, "listingVersion", listing_version);
  ferry_register_ordered_listing(env, exports);
#if defined(__linux__) /* splice(2), sendfile(2), epoll, RUSAGE_THREAD */
  ferry_register_receive_to_file(env, exports);
  ferry_register_send_from_file(env, exports);
  ferry_register_thread_sleeps(env, exports);
  ferry_register_passive_socket(env, exports);
#endif
#if !defined(_WIN32)
  ferry_register_socket_error(env, exports);
#endif
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
