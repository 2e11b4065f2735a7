#ifndef CSIXEL_SHIM_H
#define CSIXEL_SHIM_H
#include <sixel.h>   /* -I/usr/include/sixel comes from pkg-config */
static inline int csixel_failed(SIXELSTATUS s) { return SIXEL_FAILED(s); }
#endif
