/*
 * Node-API pieces every part of the native helper uses: errno names, a function set on an
 * object, rejecting a promise with an error code, a descriptor or string argument, handing a malloc'ed array of doubles to JavaScript, and the
 * { count, names } answer of openListing.
 */
#include <errno.h>
#include <node_api.h>
#include <stdlib.h>
#include <string.h>

#include "ferry_native.h"

const char *ferry_errno_code(int error) {
  switch (error) {
    case ENOENT: return "ENOENT";
    case ENOTDIR: return "ENOTDIR";
    case EACCES: return "EACCES";
    case EPERM: return "EPERM";
    case ELOOP: return "ELOOP";
    case EMFILE: return "EMFILE";
    case ENFILE: return "ENFILE";
    case ENAMETOOLONG: return "ENAMETOOLONG";
    case ENOMEM: return "ENOMEM";
    case ENOSPC: return "ENOSPC";
    case EDQUOT: return "EDQUOT";
    case EFBIG: return "EFBIG";
    case EROFS: return "EROFS";
    case EBADF: return "EBADF";
    case EINVAL: return "EINVAL";
    case ECONNRESET: return "ECONNRESET";
    case EPIPE: return "EPIPE";
    case ETIMEDOUT: return "ETIMEDOUT";
    case ENOTCONN: return "ENOTCONN";
    case ENOTSOCK: return "ENOTSOCK";
    case EADDRINUSE: return "EADDRINUSE";
    case EADDRNOTAVAIL: return "EADDRNOTAVAIL";
    case EAFNOSUPPORT: return "EAFNOSUPPORT";
    case ECONNABORTED: return "ECONNABORTED";
    default: return "EIO";
  }
}

void ferry_reject(napi_env env, napi_deferred deferred, const char *code, const char *message) {
  napi_value code_value, message_value, error;
  napi_create_string_utf8(env, code, NAPI_AUTO_LENGTH, &code_value);
  napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &message_value);
  napi_create_error(env, code_value, message_value, &error);
  napi_reject_deferred(env, deferred, error);
}

int ferry_descriptor_argument(napi_env env, napi_callback_info info, const char *usage, int32_t *descriptor) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  *descriptor = -1;
  if (argc < 1 || napi_get_value_int32(env, argv[0], descriptor) != napi_ok || *descriptor < 0) {
    napi_throw_type_error(env, NULL, usage);
    return 0;
  }
  return 1;
}

char *ferry_string_argument(napi_env env, napi_callback_info info, const char *usage) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  napi_valuetype type = napi_undefined;
  if (argc >= 1) napi_typeof(env, argv[0], &type);
  if (type != napi_string) {
    napi_throw_type_error(env, NULL, usage);
    return NULL;
  }
  size_t length = 0;
  napi_get_value_string_utf8(env, argv[0], NULL, 0, &length);
  char *text = malloc(length + 1);
  if (text == NULL) {
    napi_throw_error(env, "ENOMEM", "out of memory");
    return NULL;
  }
  napi_get_value_string_utf8(env, argv[0], text, length + 1, &length);
  return text;
}

/*
 * Bytes of names per string handed to JavaScript. V8 puts a string of 128 KiB or more in its
 * large-object space, on pages mapped afresh for it: one string of 10,000 names (150 KB) took ~0.9
 * ms to make, against ~10 µs in pieces. 60 KiB of UTF-8 decode to at most 120 KiB of UTF-16.
 */
#define NAMES_PER_STRING_BYTES ((size_t)60 * 1024)

napi_status ferry_create_names_string(napi_env env, const char *bytes, size_t length, napi_value *result) {
  for (size_t index = 0; index < length; index++) {
    if ((unsigned char)bytes[index] >= 0x80) return napi_create_string_utf8(env, bytes, length, result);
  }
  return napi_create_string_latin1(env, bytes, length, result);
}

int ferry_resolve_names(napi_env env, napi_deferred deferred, size_t count, const char *joined, size_t joined_length, const char *key, napi_value value) {
  napi_value result, count_value, names;
  if (napi_create_object(env, &result) != napi_ok || napi_create_uint32(env, (uint32_t)count, &count_value) != napi_ok ||
      napi_create_array(env, &names) != napi_ok)
    return 0;
  /* Cut after a name's NUL, so each string holds whole names; a NUL cannot occur in a name. */
  uint32_t strings = 0;
  for (size_t start = 0; count > 0 && start <= joined_length;) {
    size_t end = joined_length;
    if (end - start > NAMES_PER_STRING_BYTES) {
      end = start + NAMES_PER_STRING_BYTES;
      while (end > start && joined[end] != '\0') end--;
      if (end == start) end = start + strlen(joined + start); /* one name longer than a piece */
    }
    napi_value piece;
    if (ferry_create_names_string(env, joined + start, end - start, &piece) != napi_ok || napi_set_element(env, names, strings++, piece) != napi_ok) return 0;
    start = end + 1;
  }
  napi_set_named_property(env, result, "count", count_value);
  napi_set_named_property(env, result, "names", names);
  napi_set_named_property(env, result, key, value);
  napi_resolve_deferred(env, deferred, result);
  return 1;
}

static void free_values(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  free(data);
}

napi_status ferry_create_float64_array(napi_env env, double *values, size_t length, napi_value *result) {
  napi_value buffer;
  /* Handed over without a copy; the ArrayBuffer frees them. Where external buffers are not
     allowed (V8 sandbox builds) they are copied instead. */
  napi_status status = napi_create_external_arraybuffer(env, values, length * sizeof(double), free_values, NULL, &buffer);
  if (status != napi_ok) {
    void *bytes;
    status = napi_create_arraybuffer(env, length * sizeof(double), &bytes, &buffer);
    if (status == napi_ok) memcpy(bytes, values, length * sizeof(double));
    free(values);
    if (status != napi_ok) return status;
  }
  return napi_create_typedarray(env, napi_float64_array, length, buffer, 0, result);
}

void ferry_set_function(napi_env env, napi_value object, const char *name, napi_callback callback) {
  napi_value function;
  napi_create_function(env, name, NAPI_AUTO_LENGTH, callback, NULL, &function);
  napi_set_named_property(env, object, name, function);
}
