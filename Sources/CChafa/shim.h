#ifndef CCHAFA_SHIM_H
#define CCHAFA_SHIM_H
/* libchafa 1.12 (Debian libchafa-dev); chafa.h needs glib's headers (libglib2.0-dev), whose
   -I paths come from pkg-config. Used only by EaselTerminal/Blocks.swift. */
#include <chafa.h>
#endif
