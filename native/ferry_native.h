/* Shared by the parts of Ferry's native helper (see read_directory.c and receive_to_file.c). */
#ifndef FERRY_NATIVE_H
#define FERRY_NATIVE_H

#include <node_api.h>

/* The errno's name as Node reports it ("ENOENT", ...), "EIO" for one not listed. */
const char *ferry_errno_code(int error);

/* Add receiveToFile to the exports (Linux only; elsewhere it adds nothing). */
void ferry_register_receive_to_file(napi_env env, napi_value exports);

#endif
