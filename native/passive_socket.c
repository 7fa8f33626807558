/*
 * A passive data port without Node's net.Server and net.Socket: listenTcp binds and listens on it,
 * acceptPending takes the connection the client has made, as a bare descriptor that sendFromFile
 * can send a download into.
 *
 * Why: in bench `files` (100 sessions, each downloading 1 MiB over fresh passive connections) a
 * listening Server per PASV and a Socket per data connection, with their handles, streams,
 * listeners and close callbacks, were a good part of the event loop's work per download, where
 * vsftpd makes the same system calls and nothing else. Nothing watches the listening descriptor:
 * a client connects before it sends RETR, so the connection is waiting in the backlog by then, and
 * anything else (a listing, an upload, a client that connects late) gets a socket on the taken
 * connection, or a net.Server on the port after all (server/data/passive-listener.ts).
 * Measured on that workload, alternated 4 times with the build before (Server and Socket): 877-1028
 * → 1050-1236 files/s, server CPU 0.59-0.75 → 0.38-0.51 ms per download, of it the event loop's
 * 0.42-0.53 → 0.29-0.38 ms; pair runs against vsftpd 0.99×, 1.08×, 1.03×, 0.89× (0.77-0.96× before).
 *
 * JS: listenTcp(address, port, backlog) → [fd, port]   (an IP address literal; port 0: any)
 *       throws error.code ("EADDRINUSE", "EACCES", "EINVAL", ...); non-blocking, close-on-exec,
 *       SO_REUSEADDR as libuv sets it (a port whose last connection is in TIME_WAIT is usable).
 *     acceptPending(listenFd) → [fd, peerAddress] | null   (null: no connection waiting)
 *       the accepted descriptor is non-blocking and close-on-exec; peerAddress as Node writes
 *       socket.remoteAddress ("127.0.0.1", "::1", "::ffff:127.0.0.1"); throws error.code.
 */
#define _GNU_SOURCE
#include "ferry_native.h"

#if defined(__linux__)

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* napi_throw_error sets error.code to the errno's name. */
static napi_value throw_errno(napi_env env, int error, const char *message) {
  napi_throw_error(env, ferry_errno_code(error), message);
  return NULL;
}

static napi_value pair(napi_env env, napi_value first, napi_value second) {
  napi_value result;
  napi_create_array_with_length(env, 2, &result);
  napi_set_element(env, result, 0, first);
  napi_set_element(env, result, 1, second);
  return result;
}

static const char *listen_usage = "listenTcp(address, port, backlog): an IP address, a port 0-65535, a positive backlog";

static napi_value listen_tcp(napi_env env, napi_callback_info info) {
  char *address = ferry_string_argument(env, info, listen_usage);
  if (address == NULL) return NULL;
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t port = -1, backlog = 0;
  if (argc < 3 || napi_get_value_int32(env, argv[1], &port) != napi_ok || port < 0 || port > 65535 ||
      napi_get_value_int32(env, argv[2], &backlog) != napi_ok || backlog < 1) {
    free(address);
    napi_throw_type_error(env, NULL, listen_usage);
    return NULL;
  }
  struct sockaddr_storage local;
  socklen_t local_length;
  memset(&local, 0, sizeof local);
  struct sockaddr_in *v4 = (struct sockaddr_in *)&local;
  struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&local;
  if (inet_pton(AF_INET, address, &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons((uint16_t)port);
    local_length = sizeof *v4;
  } else if (inet_pton(AF_INET6, address, &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons((uint16_t)port);
    local_length = sizeof *v6;
  } else {
    free(address);
    return throw_errno(env, EINVAL, "listenTcp: not an IP address literal");
  }
  free(address);
  int listen_fd = socket(local.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (listen_fd < 0) return throw_errno(env, errno, "listenTcp: socket failed");
  int on = 1;
  if (setsockopt(listen_fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) != 0 ||
      bind(listen_fd, (struct sockaddr *)&local, local_length) != 0 || listen(listen_fd, backlog) != 0 ||
      getsockname(listen_fd, (struct sockaddr *)&local, &local_length) != 0) {
    int error = errno;
    close(listen_fd);
    return throw_errno(env, error, "listenTcp failed");
  }
  napi_value fd_value, port_value;
  napi_create_int32(env, listen_fd, &fd_value);
  napi_create_int32(env, ntohs(local.ss_family == AF_INET ? v4->sin_port : v6->sin6_port), &port_value);
  return pair(env, fd_value, port_value);
}

static napi_value accept_pending(napi_env env, napi_callback_info info) {
  int32_t listen_fd;
  if (!ferry_descriptor_argument(env, info, "acceptPending(listenFd): a non-negative integer", &listen_fd)) return NULL;
  struct sockaddr_storage peer;
  socklen_t peer_length;
  int accepted;
  do {
    peer_length = sizeof peer;
    accepted = accept4(listen_fd, (struct sockaddr *)&peer, &peer_length, SOCK_NONBLOCK | SOCK_CLOEXEC);
    /* ECONNABORTED: a connection reset while it waited; the next one may be fine. */
  } while (accepted < 0 && (errno == EINTR || errno == ECONNABORTED));
  napi_value result;
  if (accepted < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      napi_get_null(env, &result);
      return result;
    }
    return throw_errno(env, errno, "acceptPending failed");
  }
  char text[INET6_ADDRSTRLEN] = "";
  if (peer.ss_family == AF_INET) inet_ntop(AF_INET, &((struct sockaddr_in *)&peer)->sin_addr, text, sizeof text);
  else if (peer.ss_family == AF_INET6) inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&peer)->sin6_addr, text, sizeof text);
  napi_value fd_value, address_value;
  napi_create_int32(env, accepted, &fd_value);
  napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &address_value);
  return pair(env, fd_value, address_value);
}

void ferry_register_passive_socket(napi_env env, napi_value exports) {
  ferry_set_function(env, exports, "listenTcp", listen_tcp);
  ferry_set_function(env, exports, "acceptPending", accept_pending);
}

#endif
