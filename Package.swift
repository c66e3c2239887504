// swift-tools-version:6.0
// Chromasong: image in, song out. Performance-critical DSP lives in the C target CDSP; the Swift targets decide
// what to play (SongEngine), convert voices (VoiceConvert), and expose the engine as a CLI and a benchmark.
import PackageDescription

/// System libraries, declared the SwiftPM way: pkg-config for flags, apt for the Debian package that provides them.
func systemLibrary(_ name: String, pkgConfig: String, apt: String) -> Target {
    .systemLibrary(
        name: name, path: "Sources/SystemLibraries/\(name)", pkgConfig: pkgConfig, providers: [.apt([apt])])
}

let package = Package(
    name: "Chromasong",
    // macOS 15: the standard library's Mutex (Synchronization) is the one lock box of the package (issue 10).
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "SongEngine", targets: ["SongEngine"]),
        .library(name: "VoiceConvert", targets: ["VoiceConvert"]),
        .library(name: "ChromasongServer", targets: ["ChromasongServer"]),
        .executable(name: "chromasong", targets: ["chromasong"]),
        .executable(name: "engine-bench", targets: ["engine-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // The HTTP server (issue 5): Hummingbird 2, the task store on SQLite (GRDB), logs,
        // webhook signatures (HMAC) and the outgoing HTTP client for webhooks and image_url.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        // Already under Hummingbird; named here for the connection-deadline channel handler (ConnectionDeadlines).
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.0"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.34.1"),
        // Scale-out (issue 13): the shared task store on PostgreSQL, and /metrics in Prometheus's text format.
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        systemLibrary("CFFTW", pkgConfig: "fftw3f", apt: "libfftw3-dev"),
        systemLibrary("CSndFile", pkgConfig: "sndfile", apt: "libsndfile1-dev"),
        // MP3 is encoded by LAME directly (issue 14): libsndfile offers no way to set LAME's algorithm quality.
        systemLibrary("CLame", pkgConfig: "lame", apt: "libmp3lame-dev"),
        systemLibrary("CSampleRate", pkgConfig: "samplerate", apt: "libsamplerate0-dev"),
        systemLibrary("CStb", pkgConfig: "stb", apt: "libstb-dev"),
        systemLibrary("CWebP", pkgConfig: "libwebp", apt: "libwebp-dev"),
        // Untrusted images are decoded by these fuzzed libraries (docs/images.md); stb only writes and resizes.
        systemLibrary("CJpeg", pkgConfig: "libjpeg", apt: "libjpeg62-turbo-dev"),
        systemLibrary("CPng", pkgConfig: "libpng", apt: "libpng-dev"),
        systemLibrary("CGif", pkgConfig: "libgif", apt: "libgif-dev"),
        // flite ships no pkg-config file: its module map names the libraries to link.
        .systemLibrary(name: "CFlite", path: "Sources/SystemLibraries/CFlite", providers: [.apt(["flite1-dev"])]),
        .target(name: "CSpeech", dependencies: ["CFlite"], cSettings: [.define("_GNU_SOURCE")]),
        .target(
            name: "CDSP",
            dependencies: ["CFFTW", "CSndFile", "CLame", "CSampleRate", "CStb", "CWebP", "CJpeg", "CPng", "CGif"],
            cSettings: [.define("_GNU_SOURCE")],
            linkerSettings: [.linkedLibrary("m")]
        ),
        // The Swift owners of CDSP's objects (throwing creation, deinit destroys), for SongEngine and VoiceConvert.
        .target(name: "DSP", dependencies: ["CDSP"]),
        .target(name: "SongEngine", dependencies: ["CDSP", "DSP", "CSpeech", "VoiceConvert"]),
        .target(name: "VoiceConvert", dependencies: ["CDSP", "DSP"]),
        .target(
            name: "ChromasongServer",
            dependencies: [
                "SongEngine", "VoiceConvert",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        .executableTarget(
            name: "chromasong",
            dependencies: [
                "SongEngine", "VoiceConvert", "ChromasongServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(name: "engine-bench", dependencies: ["SongEngine"]),
        // Test helpers shared by the Swift test targets (a plain loopback socket listener).
        .target(name: "LoopbackSupport", path: "Tests/LoopbackSupport"),
        .testTarget(name: "SongEngineTests", dependencies: ["SongEngine", "VoiceConvert", "DSP", "LoopbackSupport"]),
        .testTarget(
            name: "ServerTests",
            dependencies: [
                "ChromasongServer", "SongEngine", "LoopbackSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
        ),
    ]
)
