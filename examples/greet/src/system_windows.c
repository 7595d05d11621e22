/* Windows: the version the system reports for itself (RtlGetVersion tells the truth where
 * GetVersionEx would answer what the program's manifest asked for). */
#include <stdio.h>
#include <windows.h>

#include "greet.h"

typedef LONG(WINAPI *RtlGetVersionFn)(OSVERSIONINFOW *);

int system_name(char *buf, size_t size) {
  OSVERSIONINFOW info;
  ZeroMemory(&info, sizeof info);
  info.dwOSVersionInfoSize = sizeof info;
  HMODULE ntdll = GetModuleHandleW(L"ntdll.dll");
  RtlGetVersionFn get_version = ntdll ? (RtlGetVersionFn)(void (*)(void))GetProcAddress(ntdll, "RtlGetVersion") : NULL;
  if (!get_version || get_version(&info) != 0) return -1;
  int n = snprintf(buf, size, "Windows %lu.%lu", info.dwMajorVersion, info.dwMinorVersion);
  return n >= 0 && (size_t)n < size ? 0 : -1;
}
