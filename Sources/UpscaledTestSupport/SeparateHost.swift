import Foundation
import Glibc
import SystemPackage

/// Several machines on one shared folder, on one machine: each daemon runs in its own mount
/// namespace (`unshare --mount`), where the shared folder is reached through its own bindfs
/// (FUSE) mount. As on NFS, inotify on one host's mount sees only what that host did through
/// it, never another host's writes; and the FUSE filesystem lacks what network filesystems
/// lack (O_TMPFILE, RENAME_NOREPLACE, locks that reach across machines).
public enum SeparateHost {
    /// Why this machine cannot run separate hosts (nil when it can): it needs bindfs, unshare,
    /// /dev/fuse and the right to make mount namespaces (root here).
    public static var unavailableReason: String? {
        for tool in ["/usr/bin/bindfs", "/usr/bin/unshare", "/usr/bin/nsenter", "/bin/bash"] where access(tool, X_OK) != 0 {
            return "\(tool) is missing (packaging/install-deps --test installs it)"
        }
        if access("/dev/fuse", R_OK | W_OK) != 0 { return "/dev/fuse is not usable" }
        if geteuid() != 0 { return "making mount namespaces needs root" }
        return nil
    }

    /// The command that runs `upscaled ARGS` as a separate host: a private mount namespace,
    /// bindfs mounting `shared` on `mountpoint` there, then the daemon in its place.
    public static func launcher(shared: FilePath, mountpoint: FilePath) -> [String] {
        // bash -c SCRIPT shared mountpoint binary args...: bindfs returns once the mount is up.
        // It lives on after the daemon, so it must hold none of the fds the daemon inherited:
        // Foundation's Process learns of an exit when the last copy of such a socket closes
        // (seen: without this, no exit of a separate host was ever noticed). Its output goes
        // beside the mount point. bash, not sh: dash cannot close fds above 9.
        ["/usr/bin/unshare", "--mount", "--propagation", "private", "--", "/bin/bash", "-c",
         mountScript + #" || exit 97; shift; exec "$@""#, shared.string, mountpoint.string]
    }

    /// bash: mounts "$0" on "$1" with bindfs, holding none of the caller's fds.
    private static let mountScript = #"( for f in /proc/self/fd/*; do n=${f##*/}; (( n > 2 )) && eval "exec $n>&-"; done; "#
        + #"exec bindfs "$0" "$1" </dev/null >>"$1.bindfs.log" 2>&1 )"#

    /// The file server comes back: in the mount namespace of process `pid`, the dead mount on
    /// `mountpoint` (its bindfs was ended by `unmount`) is detached and `shared` mounted again,
    /// as an NFS client's automounter or `mount -a` would after an outage.
    public static func reconnect(namespaceOf pid: pid_t, shared: FilePath, mountpoint: FilePath) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/nsenter")
        process.arguments = ["--target", "\(pid)", "--mount", "--", "/bin/bash", "-c",
                             #"umount -l "$1" 2>/dev/null; "# + mountScript, shared.string, mountpoint.string]
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: "bindfs could not mount \(shared) again"])
        }
    }

    /// Ends the bindfs that serves `mountpoint` (its namespace's daemon was killed or stopped):
    /// with it goes the mount, and the namespace.
    public static func unmount(_ mountpoint: FilePath) {
        for pid in bindfsProcesses(serving: mountpoint) { kill(pid, SIGTERM) }
        for pid in bindfsProcesses(serving: mountpoint) {
            for _ in 0..<200 where kill(pid, 0) == 0 { usleep(10_000) }
            kill(pid, SIGKILL)
        }
    }

    private static func bindfsProcesses(serving mountpoint: FilePath) -> [pid_t] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { entry -> pid_t? in
            guard let pid = pid_t(entry),
                  let data = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline") else { return nil }
            let arguments = data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            guard arguments.first.map({ $0.hasSuffix("bindfs") }) == true, arguments.last == mountpoint.string else { return nil }
            return pid
        }
    }
}
