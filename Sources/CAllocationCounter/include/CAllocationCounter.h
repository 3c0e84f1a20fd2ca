// Counts heap allocations in the process it is linked into (benchmarks only): malloc and friends
// are interposed and forwarded to glibc's own entry points. Used to show that inference allocates
// nothing per call once warm.
#pragma once
#include <stdint.h>

/// Number of allocation calls (malloc, calloc, realloc, memalign family) so far.
uint64_t emonet_allocation_count(void);
