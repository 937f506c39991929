#ifndef FW_CRC16_H
#define FW_CRC16_H
#include <stddef.h>
#include <stdint.h>

/* CRC-16/CCITT-FALSE (poly 0x1021, MSB first, no final XOR), continuing from crc
   (0xFFFF to start). `data` is declared char so that cffi passes bytes without a copy. */
uint16_t fw_crc16_ccitt(uint16_t crc, const char *data, size_t len);

#endif
