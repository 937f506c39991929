#ifndef FW_SECDED_H
#define FW_SECDED_H
#include <stddef.h>
#include <stdint.h>

/* SECDED (72,64) EDAC: a Hsiao code (odd-weight columns) over 64-bit words with one check
 * octet per word, as mass-memory controllers implement it. */

/* Build the tables and select the fastest path the CPU supports; call once first. */
void fw_secded_init(void);

/* Name of the active check path ("avx2" or "portable"). */
const char *fw_secded_path(void);

/* Force a path: 1 = the fastest available, 0 = portable. Returns 0 if unavailable. */
int fw_secded_select(int fastest);

/* Check octets of n words. */
void fw_secded_encode(const uint64_t *words, size_t n, uint8_t *checks);

/* Check n words against their check octets. Counts words with a corrected single error and
 * words with a detected uncorrectable error; records the first max_report indices of each.
 * With correct != 0 single errors are repaired in place (data bit or check bit). */
void fw_secded_check(uint64_t *words, uint8_t *checks, size_t n, int correct,
                     int64_t *corrected_idx, int64_t *uncorrectable_idx, size_t max_report,
                     size_t *n_corrected, size_t *n_uncorrectable);

/* Interleaved layout of depth 1, 2, 4 or 8 (see secded.c): logical bit j of word k of a
 * group of `depth` words is bit j*depth + k of the group's physical bits; check bit r of
 * word k is bit r*depth + k of the group's check octets. n is a multiple of depth. */

/* Name of the active interleaved path ("bmi2": pext/pdep with the AVX2 check, or
 * "portable"). */
const char *fw_secded_il_path(void);

/* Force the interleaved path: 1 = the fastest available, 0 = portable. Returns 0 if
 * unavailable. */
int fw_secded_il_select(int fastest);

/* Interleaved physical words and check octets of n logical words (may alias in place). */
void fw_secded_encode_il(const uint64_t *logical, size_t n, unsigned depth, uint64_t *phys,
                         uint8_t *checks);

/* Check n interleaved words: counts and reports (logical word indices) as fw_secded_check.
 * With logical != NULL the decoded words are written there, single errors corrected. With
 * correct != 0 single errors are also repaired in phys/checks. */
void fw_secded_check_il(uint64_t *phys, uint8_t *checks, size_t n, unsigned depth, int correct,
                        uint64_t *logical, int64_t *corrected_idx, int64_t *uncorrectable_idx,
                        size_t max_report, size_t *n_corrected, size_t *n_uncorrectable);

#endif
