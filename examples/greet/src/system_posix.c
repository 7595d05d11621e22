/* Linux (and other POSIX systems): uname(2). */
#include <stdio.h>
#include <sys/utsname.h>

#include "greet.h"

int system_name(char *buf, size_t size) {
  struct utsname u;
  if (uname(&u) != 0) return -1;
  int n = snprintf(buf, size, "%s %s", u.sysname, u.release);
  return n >= 0 && (size_t)n < size ? 0 : -1;
}
