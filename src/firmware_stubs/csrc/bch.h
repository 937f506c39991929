#ifndef FW_BCH_H
#define FW_BCH_H
#include <stddef.h>
#include <stdint.h>

/* BCH(63,56) of CCSDS 231.0-B-4 section 3: 7 information octets + 1 parity/filler octet. */

/* Build the lookup tables; call once before the other functions (not thread-safe). */
void fw_bch_init(void);

/* Encode nblocks blocks of 7 octets from info into nblocks 8-octet codeblocks at out. */
void fw_bch_encode(const uint8_t *info, size_t nblocks, uint8_t *out);

/* Decode up to nblocks codeblocks (single-error correction, filler bit ignored), writing 7
   information octets per decoded block to out. Stops at the first uncorrectable block, which
   is not consumed (*stopped = 1). Returns the number of blocks decoded; *corrected counts the
   decoded blocks in which one bit was corrected. */
size_t fw_bch_decode(const uint8_t *codeblocks, size_t nblocks, uint8_t *out,
                     size_t *corrected, int *stopped);

#endif
