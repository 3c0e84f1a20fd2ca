// libFuzzer's driver entry point (compiler-rt), for EmoNetFuzz's own main. Only declared here: it is
// defined by the runtime that -sanitize=fuzzer links, and referenced only in builds made with -DFUZZING.
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));
