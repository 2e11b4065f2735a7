#ifndef CSPAWN_H
#define CSPAWN_H
#include <spawn.h>
/* Used only by EaselProcess/ChildProcess.swift.
   posix_spawn_file_actions_addclosefrom_np (glibc 2.34+), which Swift's Glibc module does not show
   (glibc declares it only under _GNU_SOURCE): in the child, every descriptor >= from is closed, after
   the file actions added before it. Returns 0, or an errno value. */
int cspawn_addclosefrom(posix_spawn_file_actions_t *actions, int from);
#endif
