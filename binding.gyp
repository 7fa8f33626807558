{
  "targets": [
    {
      "target_name": "ferry_native",
      "sources": ["native/read_directory.c"],
      "cflags": ["-O2", "-Wall", "-Wextra"]
    }
  ]
}
