#ifndef _GNU_SOURCE
#error You must define _GNU_SOURCE (Package.swift cSettings)
#endif
#include "CUpscaledLinux.h"
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/vfs.h>

const unsigned int upscaled_RENAME_NOREPLACE = RENAME_NOREPLACE;
const int upscaled_O_TMPFILE = O_TMPFILE;

int upscaled_renameat2(int olddirfd, const char *oldpath, int newdirfd, const char *newpath,
                       unsigned int flags) {
    return renameat2(olddirfd, oldpath, newdirfd, newpath, flags);
}

int upscaled_statfs_type(const char *path, unsigned long long *type) {
    struct statfs info;
    if (statfs(path, &info) != 0) return -1;
    *type = (unsigned long long) (unsigned long) info.f_type;
    return 0;
}

int upscaled_eventfd(void) { return eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK); }

int upscaled_name_current_thread(const char *name) {
    char shortened[16];
    strncpy(shortened, name, sizeof shortened - 1);
    shortened[sizeof shortened - 1] = '\0';
    return pthread_setname_np(pthread_self(), shortened);
}

void upscaled_release_free_memory(void) { malloc_trim(0); }
