/* greet: what differs between the operating systems, behind one interface. */
#ifndef GREET_H
#define GREET_H

#include <stddef.h>

/* Writes the name of the running operating system ("Linux 6.1.0", "Windows 10.0") into buf. */
int system_name(char *buf, size_t size);

/* The greeting for `who`, formatted into buf: "Hello, <who>, from <system>!". */
int format_greeting(char *buf, size_t size, const char *who, const char *system);

#endif
