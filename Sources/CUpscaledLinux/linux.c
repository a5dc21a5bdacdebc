#ifndef _GNU_SOURCE
#error You must define _GNU_SOURCE (Package.swift cSettings)
#endif
#include "CUpscaledLinux.h"
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <errno.h>
#include <sys/socket.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
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

int upscaled_lower_current_thread_priority(int nice_value) {
    // Linux's nice is per thread: PRIO_PROCESS with a thread id sets only that thread's.
    return setpriority(PRIO_PROCESS, (id_t) syscall(SYS_gettid), nice_value);
}

int upscaled_spawn_with_socket(const char *path, char *const argv[], int *channel, pid_t *pid) {
    // One stream socket for both directions (send with MSG_NOSIGNAL: no SIGPIPE if the child
    // is gone); the child's stdin and stdout are its end, its stderr /dev/null, no signal
    // blocked (the daemon blocks its three in every thread).
    int pair[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) return errno;
    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attributes;
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attributes);
    posix_spawn_file_actions_adddup2(&actions, pair[1], 0);
    posix_spawn_file_actions_adddup2(&actions, pair[1], 1);
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
    // Nothing else: a descriptor the daemon inherited without close-on-exec (a supervisor's
    // pipe, a test harness's socket) must not be held open by the helper after the daemon exits.
    posix_spawn_file_actions_addclosefrom_np(&actions, 3);
    sigset_t none;
    sigemptyset(&none);
    posix_spawnattr_setsigmask(&attributes, &none);
    posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGMASK);
    extern char **environ;
    int result = posix_spawn(pid, path, &actions, &attributes, argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attributes);
    close(pair[1]);
    if (result != 0) { close(pair[0]); return result; }
    *channel = pair[0];
    return 0;
}
