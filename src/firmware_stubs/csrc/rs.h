#ifndef FW_RS_H
#define FW_RS_H
#include <stddef.h>
#include <stdint.h>

/* Reed-Solomon RS(255,223) E=16 and RS(255,239) E=8 of CCSDS 131.0-B-5 section 4, with
 * interleave depth I (symbol j of codeword i at octet j*I+i) and optional Berlekamp
 * dual-basis representation. nroots = 2E (32 or 16); the caller validates arguments. */

/* Build the field, generator and dual-basis tables; call once before anything else. */
void fw_rs_init(void);

/* Name of the compiled LFSR path: "sse2" (x86-64 baseline) or "portable". */
const char *fw_rs_path(void);

/* Copy the 2E+1 generator coefficients (x^2E first, conventional basis) to out. */
void fw_rs_generator(int nroots, uint8_t *out);

/* Conventional -> dual basis (to_dual = 1) or back, element-wise, in place. */
void fw_rs_translate(uint8_t *data, size_t len, int to_dual);

/* nblocks message chunks of k*I octets -> nblocks codeblocks of 255*I octets. */
void fw_rs_encode(const uint8_t *messages, size_t nblocks, int nroots, int interleave,
                  int dual, uint8_t *out);

/* Number of codeblocks (of nblocks) with at least one codeword that is not a codeword. */
size_t fw_rs_check(const uint8_t *codeblocks, size_t nblocks, int nroots, int interleave,
                   int dual);

/* Errors-and-erasures decoding. Writes the k*I message octets of each codeblock to out
 * (corrected, or as received for an uncorrectable codeword), the symbols corrected per block
 * to corrected[b] and 1/0 to failed[b]; erasures (octet positions within a codeblock, distinct,
 * < 255*I) apply to every block. Returns the number of uncorrectable codewords. */
size_t fw_rs_decode(const uint8_t *codeblocks, size_t nblocks, int nroots, int interleave,
                    int dual, const int32_t *erasures, size_t n_erasures, uint8_t *out,
                    int32_t *corrected, uint8_t *failed);

#endif
