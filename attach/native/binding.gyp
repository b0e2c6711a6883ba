{
  "targets": [
    {
      "target_name": "vnet_tap",
      "sources": ["tap.c"],
      "cflags": ["-Wall", "-Wextra", "-O2"]
    }
  ]
}
