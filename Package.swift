// swift-tools-version:6.1
import PackageDescription

/// Every Swift target of ours builds in Swift 6 mode with the same strictness.
let strict: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "upscaled",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "upscaled", targets: ["upscaled"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/vapor/multipart-kit", from: "4.7.1"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
    ],
    targets: [
        // C at the edges: the installed libraries, and one shim for what Swift cannot call.
        .systemLibrary(name: "CSystemd", pkgConfig: "libsystemd", providers: [.apt(["libsystemd-dev"])]),
        .systemLibrary(name: "CVips", pkgConfig: "vips", providers: [.apt(["libvips-dev"])]),
        // The C shims, one per layer: Linux calls Swift's Glibc hides (no libvips), the libvips
        // front doors, and the tests' picture and comparison helpers (never in the product).
        .target(name: "CUpscaledLinux", cSettings: [.define("_GNU_SOURCE")]),
        .target(name: "CUpscaledVips", dependencies: ["CVips"]),
        .target(name: "CUpscaledTestShims", dependencies: ["CVips"]),
        // ncnn's C API: a static libncnn built from PyPI's ncnn sdist by packaging/install-ncnn.
        .systemLibrary(name: "CNcnn", pkgConfig: "ncnn"),
        // ncnn's Vulkan devices (C++ gpu.h, not in its C API) behind a C header; without Vulkan in
        // libncnn it reports no device.
        .target(name: "CNcnnGPU", dependencies: ["CNcnn"]),
        // The Swift runtime's delay hooks, set by reference (the executable's Task.sleep path).
        .target(name: "CSwiftRuntimeHooks"),

        // Pure decisions: no I/O, no C.
        .target(
            name: "UpscaledCore",
            dependencies: [.product(name: "SystemPackage", package: "swift-system")],
            swiftSettings: strict),
        // The Linux edge: inotify, sd_notify, the journal, atomic file operations.
        .target(
            name: "UpscaledLinux",
            dependencies: [
                "UpscaledCore", "CSystemd", "CUpscaledLinux",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: strict),
        // Engines: the AI engine (ncnn), the local libvips engine, the Stability AI engines.
        .target(
            name: "UpscaledEngines",
            dependencies: [
                "UpscaledCore", "UpscaledLinux", "CUpscaledLinux", "CUpscaledVips", "CNcnn", "CNcnnGPU",
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "MultipartKit", package: "multipart-kit"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: strict),
        // The daemon's services and the pipeline that files every input exactly once.
        .target(
            name: "UpscaledDaemon",
            dependencies: [
                "UpscaledCore", "UpscaledLinux", "UpscaledEngines",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "TOMLKit", package: "TOMLKit"),
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: strict),
        // The page and its JSON API: a Hummingbird server run as one more service of the daemon.
        .target(
            name: "UpscaledWeb",
            dependencies: [
                "UpscaledCore", "UpscaledLinux", "UpscaledDaemon", "UpscaledEngines",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: strict),
        .executableTarget(
            name: "upscaled",
            dependencies: [
                "UpscaledDaemon", "UpscaledWeb", "UpscaledCore", "UpscaledLinux", "UpscaledEngines", "CSwiftRuntimeHooks",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: strict),

        // The loopback API stand-in as a program, for bench/ and manual trials (not packaged).
        .executableTarget(
            name: "upscaled-fake-api",
            dependencies: ["UpscaledTestSupport", .product(name: "UnixSignals", package: "swift-service-lifecycle")],
            swiftSettings: strict),

        // Test support: temp roots, real images, a NOTIFY_SOCKET listener, the daemon as a subprocess.
        .target(
            name: "UpscaledTestSupport",
            dependencies: [
                "UpscaledCore", "UpscaledLinux", "UpscaledEngines", "CUpscaledVips", "CUpscaledTestShims",
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "MultipartKit", package: "multipart-kit"),
            ],
            swiftSettings: strict),
        .testTarget(
            name: "UpscaledCoreTests",
            dependencies: ["UpscaledCore", .product(name: "SystemPackage", package: "swift-system")],
            swiftSettings: strict),
        .testTarget(
            name: "UpscaledLinuxTests",
            dependencies: ["UpscaledLinux", "UpscaledCore", "UpscaledTestSupport",
                           .product(name: "SystemPackage", package: "swift-system")],
            swiftSettings: strict),
        .testTarget(
            name: "UpscaledEnginesTests",
            dependencies: ["UpscaledEngines", "UpscaledCore", "UpscaledTestSupport", "CUpscaledVips", "CUpscaledTestShims",
                           .product(name: "SystemPackage", package: "swift-system"),
                           .product(name: "MultipartKit", package: "multipart-kit"),
                           .product(name: "NIOPosix", package: "swift-nio")],
            swiftSettings: strict),
        // The daemon's pipeline, runner, journal replay and config loader in-process, with a
        // scripted engine: what the subprocess tests would show, in a fraction of the time.
        .testTarget(
            name: "UpscaledDaemonTests",
            dependencies: ["UpscaledDaemon", "UpscaledCore", "UpscaledEngines", "UpscaledLinux", "UpscaledTestSupport",
                           .product(name: "SystemPackage", package: "swift-system"),
                           .product(name: "Logging", package: "swift-log"),
                           .product(name: "NIOPosix", package: "swift-nio"),
                           .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")],
            swiftSettings: strict),
        .testTarget(
            name: "UpscaledSystemdTests",
            dependencies: ["UpscaledTestSupport", "UpscaledCore", "UpscaledDaemon",
                           .product(name: "SystemPackage", package: "swift-system")],
            swiftSettings: strict),
        .testTarget(
            name: "UpscaledIntegrationTests",
            dependencies: ["UpscaledTestSupport", "UpscaledCore", "UpscaledDaemon",
                           .product(name: "SystemPackage", package: "swift-system")],
            swiftSettings: strict),
    ]
)
