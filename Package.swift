// swift-tools-version:6.1
import PackageDescription

/// Easel: a terminal studio for text-to-image generation.
/// Dependency arrows point down ARCHITECTURE.md's table: C seams → domain → adapters → UI → executable.
let package = Package(
    name: "Easel",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "easel", targets: ["easel"]),
        .executable(name: "easel-bench", targets: ["easel-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/swhitty/FlyingFox", from: "0.27.1"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/hummingbird-project/swift-websocket", from: "1.6.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
    ],
    targets: [
        // MARK: - C seams (each touched from exactly one Swift file)
        .systemLibrary(name: "CNCurses", providers: [.apt(["libncurses-dev"])]),
        .target(name: "CCurl", linkerSettings: [.linkedLibrary("curl")]),
        // Not a library: the fork-and-wait child that restores the terminal after SIGKILL (C, async-signal-safe).
        .target(name: "CTerminalGuard"),
        // posix_spawn's closefrom, which Swift's Glibc does not show (needs _GNU_SOURCE).
        .target(name: "CSpawn"),
        .systemLibrary(name: "CSixel", pkgConfig: "libsixel", providers: [.apt(["libsixel-dev"])]),
        .systemLibrary(name: "CChafa", pkgConfig: "chafa", providers: [.apt(["libchafa-dev", "libglib2.0-dev"])]),
        .target(
            name: "CImage",
            cSettings: [.unsafeFlags(["-I/usr/include/libpng16"])],
            linkerSettings: [.linkedLibrary("png16"), .linkedLibrary("turbojpeg"),
                             .linkedLibrary("webp"), .linkedLibrary("z")]
        ),

        // MARK: - Swift targets
        .target(name: "EaselCore"),
        .target(name: "EaselProcess", dependencies: ["CSpawn"]),
        .target(name: "EaselHTTP", dependencies: ["CCurl"]),
        .target(name: "EaselImaging", dependencies: ["CImage"]),
        .target(name: "EaselBackends", dependencies: [
            "EaselCore", "EaselHTTP", "EaselProcess", .product(name: "WSClient", package: "swift-websocket"),
            .product(name: "NIOCore", package: "swift-nio"), .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "EaselStore", dependencies: [
            "EaselCore", "EaselImaging", .product(name: "GRDB", package: "GRDB.swift"),
        ]),
        .target(name: "EaselTerminal", dependencies: ["CNCurses", "CSixel", "CChafa", "CTerminalGuard", "EaselCore", "EaselImaging"]),
        .target(name: "EaselUI", dependencies: [
            "EaselCore", "EaselTerminal", .product(name: "TOMLKit", package: "TOMLKit"),
        ]),
        .target(name: "EaselServer", dependencies: [
            "EaselCore", "EaselImaging", .product(name: "FlyingFox", package: "FlyingFox"),
            .product(name: "FlyingSocks", package: "FlyingFox"),
        ]),
        // Only this target pulls postgres-nio: `easel serve --store postgres://…` (issue 21 items 2–3).
        .target(name: "EaselServerPostgres", dependencies: [
            "EaselServer", .product(name: "PostgresNIO", package: "postgres-nio"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "EaselApp", dependencies: [
            "EaselCore", "EaselHTTP", "EaselImaging", "EaselBackends", "EaselProcess", "EaselStore", "EaselTerminal", "EaselUI",
            "EaselServer", .product(name: "TOMLKit", package: "TOMLKit"),
        ]),
        .executableTarget(
            name: "easel",
            dependencies: [
                "EaselCore", "EaselHTTP", "EaselImaging", "EaselBackends", "EaselStore", "EaselTerminal", "EaselUI",
                "EaselServer", "EaselServerPostgres", "EaselApp", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            linkerSettings: [.unsafeFlags(["-use-ld=lld"])]
        ),

        .executableTarget(
            name: "easel-bench",
            dependencies: ["EaselImaging", "EaselTerminal", "EaselServer", "EaselServerPostgres", "EaselHTTP", "EaselCore",
                           "EaselStore", "EaselUI", "FakeServices"],
            linkerSettings: [.unsafeFlags(["-use-ld=lld"])]
        ),

        // MARK: - Tests
        .target(name: "TestSupport", dependencies: ["EaselCore"], path: "Tests/TestSupport"),
        .target(name: "FakeServices", dependencies: [
            "EaselCore", "EaselImaging", "EaselProcess", .product(name: "FlyingFox", package: "FlyingFox"),
        ], path: "Tests/FakeServices"),
        .testTarget(name: "EaselCoreTests", dependencies: ["EaselCore", "TestSupport"]),
        .testTarget(name: "EaselUITests", dependencies: ["EaselUI", "EaselTerminal", "EaselCore", "TestSupport"]),
        .testTarget(name: "EaselImagingTests", dependencies: ["EaselImaging"]),
        .testTarget(name: "EaselTerminalTests", dependencies: ["EaselTerminal", "EaselImaging", "EaselCore", "CSixel"]),
        .testTarget(name: "EaselBackendsTests", dependencies: [
            "EaselBackends", "EaselHTTP", "EaselServer", "EaselStore", "EaselImaging", "EaselCore", "EaselApp", "EaselProcess",
            "EaselTerminal", "FakeServices", .product(name: "FlyingFox", package: "FlyingFox"), .product(name: "GRDB", package: "GRDB.swift"),
        ]),
        .testTarget(name: "EaselServerTests", dependencies: ["EaselServer", "EaselImaging"]),
        .testTarget(name: "EaselServerPostgresTests", dependencies: [
            "EaselServerPostgres", "EaselServer", "EaselCore", "EaselHTTP", "FakeServices",
            .product(name: "PostgresNIO", package: "postgres-nio"),
        ]),
        .testTarget(name: "EndToEndTests", dependencies: ["EaselUI", "EaselTerminal", "EaselCore", "EaselImaging", "FakeServices"]),
    ]
)
