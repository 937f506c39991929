#ifndef FW_CRC32C_H
#define FW_CRC32C_H
#include <stddef.h>
#include <stdint.h>

/* CRC-32C (Castagnoli, reflected poly 0x82F63B78), continuing from crc (0 to start). */
uint32_t fw_crc32c(uint32_t crc, const uint8_t *data, size_t len);

#endif
