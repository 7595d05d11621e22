// The firmware itself: prints the CRC of a message through semihosting and exits 0.
#include <stdio.h>

#include "crc16.h"

int main(void) {
  static const char message[] = "123456789";
  printf("crc16(%s) = 0x%04X\n", message, crc16_ccitt((const unsigned char*)message, sizeof message - 1));
  return 0;
}
