// Pixel loops that Swift, compiled for baseline x86-64, runs several times slower than C with AVX2:
// shared by Imaging (GrayImage(rgb:)) and CLibAV (a decoded frame read straight into gray).
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/// gray[i] = (R*9798 + G*19235 + B*3735 + 2^14) >> 15 for the `count` pixels of interleaved `rgb`: OpenCV 4.x's
/// cvtColor(RGB2GRAY) for 8-bit images (see Imaging/GrayConversion.swift). AVX2 where the CPU has it (and
/// EMONET_AVX2 is not 0), else the portable loop; integer arithmetic, so both give the same bytes.
void emonet_rgb_to_gray(const uint8_t *rgb, uint8_t *gray, size_t count);

/// The same, always the portable loop (the oracle of the AVX2 version in tests).
void emonet_rgb_to_gray_portable(const uint8_t *rgb, uint8_t *gray, size_t count);

/// Whether emonet_rgb_to_gray runs its AVX2 version.
bool emonet_pixels_avx2(void);
