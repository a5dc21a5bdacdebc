/// What kind of filesystem holds the inbox, from `statfs(2)`'s `f_type`. inotify sees only
/// changes made through this kernel: on NFS, SMB/CIFS, FUSE and other network filesystems a
/// file written by another machine produces no event at all (inotify(7)), so such an inbox
/// is polled instead.
public struct FilesystemKind: Sendable, Equatable {
    public var name: String
    public var isNetworkOrFUSE: Bool

    /// Magic numbers from linux/magic.h (and statfs(2)).
    public static func classify(magic: UInt64) -> FilesystemKind {
        switch magic {
        case 0x6969: FilesystemKind(name: "nfs", isNetworkOrFUSE: true)
        case 0x517B: FilesystemKind(name: "smb", isNetworkOrFUSE: true)
        case 0xFF53_4D42: FilesystemKind(name: "cifs", isNetworkOrFUSE: true)
        case 0xFE53_4D42: FilesystemKind(name: "smb2", isNetworkOrFUSE: true)
        case 0x6573_5546: FilesystemKind(name: "fuse", isNetworkOrFUSE: true)
        case 0x0102_1997: FilesystemKind(name: "9p", isNetworkOrFUSE: true)
        case 0x00C3_6400: FilesystemKind(name: "ceph", isNetworkOrFUSE: true)
        case 0x5346_414F: FilesystemKind(name: "afs", isNetworkOrFUSE: true)
        case 0x0BD0_0BD0: FilesystemKind(name: "lustre", isNetworkOrFUSE: true)
        case 0x4741_5346: FilesystemKind(name: "gpfs", isNetworkOrFUSE: true)
        case 0xEF53: FilesystemKind(name: "ext4", isNetworkOrFUSE: false)
        case 0x5846_5342: FilesystemKind(name: "xfs", isNetworkOrFUSE: false)
        case 0x9123_683E: FilesystemKind(name: "btrfs", isNetworkOrFUSE: false)
        case 0x0102_1994: FilesystemKind(name: "tmpfs", isNetworkOrFUSE: false)
        case 0x794C_7630: FilesystemKind(name: "overlayfs", isNetworkOrFUSE: false)
        case 0x2FC1_2FC1: FilesystemKind(name: "zfs", isNetworkOrFUSE: false)
        default: FilesystemKind(name: "0x" + String(magic, radix: 16), isNetworkOrFUSE: false)
        }
    }
}

/// How the inbox is watched.
public enum WatchMode: String, Sendable, Codable, CaseIterable {
    /// inotify on local filesystems, polling on network and FUSE ones.
    case auto
    case inotify
    case poll
}
