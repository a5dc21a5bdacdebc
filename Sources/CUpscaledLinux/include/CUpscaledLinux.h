/* The Linux calls and constants Swift's Glibc module hides (it is built without _GNU_SOURCE):
 * no libvips here, so the Linux module links nothing it does not use. Every symbol is prefixed
 * `upscaled_`. */
#ifndef CUPSCALED_LINUX_H
#define CUPSCALED_LINUX_H

#include <sys/types.h>

/** Returns the heap's free pages to the system (malloc_trim): after a job's large tiles, an
 *  idle daemon should not keep hundreds of MB resident. */
void upscaled_release_free_memory(void);
extern const unsigned int upscaled_RENAME_NOREPLACE;
extern const int upscaled_O_TMPFILE;
int upscaled_renameat2(int olddirfd, const char *_Nonnull oldpath, int newdirfd,
                       const char *_Nonnull newpath, unsigned int flags);
/** statfs(2)'s f_type for `path` (Swift's Glibc does not import sys/vfs.h). -1 and errno on failure. */
int upscaled_statfs_type(const char *_Nonnull path, unsigned long long *_Nonnull type);
/** An eventfd (non-blocking, close-on-exec) used to wake a thread blocked in poll(2). */
int upscaled_eventfd(void);

/** Names the calling thread (pthread_setname_np, which Swift's Glibc module hides); at most
 *  15 bytes are kept. Returns 0 or an errno value. */
int upscaled_name_current_thread(const char *_Nonnull name);
/** Gives the calling thread (only it) this nice value (0..19; higher yields more). */
int upscaled_lower_current_thread_priority(int nice_value);
/** Starts path with argv; its stdin and stdout are one end of a stream socket, the other end is
 *  *channel (close-on-exec). 0, or an errno. */
int upscaled_spawn_with_socket(const char *_Nonnull path, char *_Nullable const *_Nonnull argv, int *_Nonnull channel, pid_t *_Nonnull pid);

#endif
