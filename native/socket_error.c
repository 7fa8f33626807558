/*
 * pendingSocketError(socketFd): the error a socket holds but has not reported yet (SO_ERROR), as
 * an errno name ("ECONNRESET"), or null when there is none.
 *
 * Why: libuv reports a connection reset by the peer as an ordinary end of stream when the reset
 * arrives while data is still queued: after a short read it takes POLLHUP for EOF without reading
 * again, and the kernel's pending ECONNRESET stays unread. An upload client that resets its data
 * connection (SO_LINGER 0) right after a burst then looked like one that finished, and the file,
 * missing what the reset threw away from the client's send buffer, got a 226. Reading SO_ERROR
 * when the stream ends tells the two apart. Reading it also clears it, which is fine: the socket
 * is finished with.
 */
#include "ferry_native.h"

#if !defined(_WIN32)

#include <errno.h>
#include <sys/socket.h>

static napi_value pending_socket_error(napi_env env, napi_callback_info info) {
  int32_t socket_fd;
  if (!ferry_descriptor_argument(env, info, "pendingSocketError(socketFd): a non-negative integer", &socket_fd)) return NULL;
  int error = 0;
  socklen_t length = sizeof error;
  napi_value result;
  if (getsockopt(socket_fd, SOL_SOCKET, SO_ERROR, &error, &length) != 0) error = errno;
  if (error == 0) {
    napi_get_null(env, &result);
  } else {
    napi_create_string_utf8(env, ferry_errno_code(error), NAPI_AUTO_LENGTH, &result);
  }
  return result;
}

void ferry_register_socket_error(napi_env env, napi_value exports) {
  ferry_set_function(env, exports, "pendingSocketError", pending_socket_error);
}

#endif
