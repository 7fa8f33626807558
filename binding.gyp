{
  "targets": [
    {
      "target_name": "ferry_native",
      "sources": ["native/read_directory.c", "native/directory_names.c", "native/ordered_listing.c", "native/receive_to_file.c", "native/node_api_helpers.c"],
      "cflags": ["-O2", "-Wall", "-Wextra"]
    }
  ]
}
