import CUpscaledLinux

/// Names the calling thread as `top -H`, `ps -L` and `/proc/PID/task/*/comm` show it (at most
/// 15 bytes). Called from inside the thread: Foundation's `Thread.name` set before `start()`
/// does not reach the kernel on Linux, and an unnamed thread inherits its creator's name.
public func nameCurrentThread(_ name: String) {
    _ = upscaled_name_current_thread(name)
}

/// Lowers the calling thread's priority (nice `value`, 0 to 19): for work that must yield to
/// the pipeline on a busy machine (the page's server, its previews), not slow it.
public func lowerCurrentThreadPriority(_ value: Int32 = 10) {
    _ = upscaled_lower_current_thread_priority(value)
}
