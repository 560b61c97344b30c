{
  "targets": [
    {
      "target_name": "keyless_native",
      "sources": ["digest_verify.c"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Werror"],
      "defines": ["NAPI_VERSION=8", "OPENSSL_API_COMPAT=10101", "OPENSSL_SUPPRESS_DEPRECATED"]
    }
  ]
}
