/* BCH(63,56) codec, CCSDS 231.0-B-4 section 3.
 *
 * The 7 parity bits are the remainder of i(x) * x^7 divided by g(x) = x^7 + x^6 + x^2 + 1
 * (3.2.2), computed a byte at a time like a CRC-7 held left-aligned in an octet; they are
 * sent inverted, followed by a filler bit 0 (3.2.3). g(x) = (x + 1)(x^6 + x + 1), so the
 * code has minimum distance 4: the 63 single-bit errors have distinct syndromes, and every
 * double error gives a syndrome that no single error gives (3.3: SEC mode). */
#include "bch.h"

#include <string.h>

#define BCH_INFO 7
#define BCH_BLOCK 8
#define BCH_BITS 63
/* g(x) without its x^7 term, left-aligned in an octet: x^6 + x^2 + 1 -> 0b1000101 << 1. */
#define BCH_POLY_ALIGNED 0x8Au
#define BCH_NO_ERROR 0xFF
#define BCH_UNCORRECTABLE 0xFE

static uint8_t remainder_table[256];
/* Syndrome (left-aligned, bit 0 clear) -> errored bit index 0..62, or a marker. */
static uint8_t syndrome_to_bit[256];

static uint8_t parity_register(const uint8_t *info)
{
    uint8_t reg = 0;
    for (int i = 0; i < BCH_INFO; i++)
        reg = remainder_table[reg ^ info[i]];
    return reg;
}

/* Syndrome of a received codeblock: recomputed parity XOR received (un-inverted) parity. */
static uint8_t syndrome(const uint8_t *block)
{
    return (uint8_t)(parity_register(block) ^ (~block[BCH_INFO] & 0xFEu));
}

void fw_bch_init(void)
{
    for (unsigned n = 0; n < 256; n++) {
        unsigned reg = n;
        for (int k = 0; k < 8; k++)
            reg = (reg & 0x80u) ? ((reg << 1) ^ BCH_POLY_ALIGNED) & 0xFFu : (reg << 1) & 0xFFu;
        remainder_table[n] = (uint8_t)reg;
    }
    memset(syndrome_to_bit, BCH_UNCORRECTABLE, sizeof syndrome_to_bit);
    syndrome_to_bit[0] = BCH_NO_ERROR;
    uint8_t block[BCH_BLOCK] = {0, 0, 0, 0, 0, 0, 0, 0xFE};
    for (unsigned bit = 0; bit < BCH_BITS; bit++) {
        block[bit / 8] ^= (uint8_t)(0x80u >> (bit % 8));
        syndrome_to_bit[syndrome(block)] = (uint8_t)bit;
        block[bit / 8] ^= (uint8_t)(0x80u >> (bit % 8));
    }
}

void fw_bch_encode(const uint8_t *info, size_t nblocks, uint8_t *out)
{
    for (size_t b = 0; b < nblocks; b++, info += BCH_INFO, out += BCH_BLOCK) {
        memcpy(out, info, BCH_INFO);
        out[BCH_INFO] = (uint8_t)(~parity_register(info) & 0xFEu);
    }
}

size_t fw_bch_decode(const uint8_t *codeblocks, size_t nblocks, uint8_t *out,
                     size_t *corrected, int *stopped)
{
    size_t fixed = 0, b = 0;
    *stopped = 0;
    for (; b < nblocks; b++, codeblocks += BCH_BLOCK, out += BCH_INFO) {
        uint8_t bit = syndrome_to_bit[syndrome(codeblocks)];
        if (bit == BCH_UNCORRECTABLE) {
            *stopped = 1;
            break;
        }
        memcpy(out, codeblocks, BCH_INFO);
        if (bit != BCH_NO_ERROR) {
            fixed++;
            if (bit < BCH_INFO * 8)
                out[bit / 8] ^= (uint8_t)(0x80u >> (bit % 8));
        }
    }
    *corrected = fixed;
    return b;
}
