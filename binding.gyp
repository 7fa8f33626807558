{
  "targets": [
    {
      "target_name": "ferry_native",
      "sources": ["native/module.c", "native/directory_names.c", "native/ordered_listing.c", "native/socket_transfer.c", "native/receive_to_file.c", "native/send_from_file.c", "native/socket_error.c", "native/thread_sleeps.c", "native/passive_socket.c", "native/node_api_helpers.c", "native/kept_memory.c"],
      "cflags": ["-O2", "-Wall", "-Wextra"]
    }
  ]
}
