#ifndef CSWIFT_RUNTIME_HOOKS_H
#define CSWIFT_RUNTIME_HOOKS_H

/*
 * The Swift runtime's hooks for delayed jobs (Task.sleep), set by reference rather than looked
 * up with dlsym: with --static-swift-stdlib (the Debian package) the runtime is linked into the
 * executable and its symbols are not in the dynamic symbol table, so dlsym would not find them.
 * The hook types are in swift/Runtime/ConcurrencyHooks.def; here they are opaque pointers to
 * Swift @convention(thin) functions, which use the swiftcall convention the runtime expects.
 */

/** Installs both hooks. Call before any task exists (the stores are plain, not atomic). */
void upscaled_install_delay_hooks(const void *_Nonnull delay_hook, const void *_Nonnull deadline_hook);

#endif
