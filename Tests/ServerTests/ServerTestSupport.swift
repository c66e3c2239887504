import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import LoopbackSupport
import Testing
@testable import ChromasongServer
@testable import SongEngine

/// Shared helpers of the server tests.
enum ServerFixtures {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let photo = root.appendingPathComponent("examples/yellowflower.jpg")
    static var photoBytes: Data { try! Data(contentsOf: photo) }

    /// A loopback TCP port free at this moment, for a server a test starts. A port derived from the process id could
    /// be in use already (CI once failed that way, stop 29), and so could one the kernel chose by binding port 0:
    /// that comes from the range where outgoing connections take their local ports (on Linux 32768-60999), and once
    /// closed it may become a client connection's local port, which blocked a server's bind for the whole minute its
    /// restart loop waited (seen once, stop 35). So the port is drawn at random below that range
    /// (`/proc/sys/net/ipv4/ip_local_port_range`) and checked by binding it; the kernel's choice is the fallback.
    static func freeLoopbackPort() throws -> Int {
        let range = (try? String(contentsOfFile: "/proc/sys/net/ipv4/ip_local_port_range", encoding: .utf8)) ?? ""
        let ephemeralStart = range.split(whereSeparator: \.isWhitespace).first.flatMap { Int($0) } ?? 0
        if ephemeralStart > 12_000 {
            for _ in 0..<64 {
                let port = Int.random(in: 10_000..<ephemeralStart)
                if let listener = try? LoopbackListener(port: port) {
                    listener.close()
                    return port
                }
            }
        }
        let listener = try LoopbackListener()
        defer { listener.close() }
        return listener.port
    }

    static func temporaryDirectory(_ label: String) -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("chromasong-server-\(label)-\(UUID().uuidString.prefix(8))")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// The PostgreSQL database the suite runs against, when `scripts/with-postgres.sh` (or the caller) sets
    /// `CHROMASONG_TEST_DATABASE`; nil: every test uses SQLite in its own folder. `scripts/test.sh` runs the server
    /// suite both ways.
    static let testDatabase: String? = {
        guard let v = ProcessInfo.processInfo.environment["CHROMASONG_TEST_DATABASE"], !v.isEmpty else { return nil }
        return v
    }()

    /// The test database's schema named after `name` (lower-cased, other characters as "_"); nil without one.
    static func database(schema name: String) -> String? {
        guard let base = testDatabase else { return nil }
        let safe = name.lowercased().unicodeScalars.map { ("a"..."z").contains($0) || ("0"..."9").contains($0) ? Character($0) : "_" }
        return base + (base.contains("?") ? "&" : "?") + "schema=" + String(safe)
    }

    /// A fresh schema of the test database for one configuration (its tables made at the first open).
    static func freshDatabase(_ label: String) -> String? {
        database(schema: "t_" + label.prefix(30) + "_" + UUID().uuidString.prefix(8))
    }

    static func configuration(_ label: String, workers: Int = 0, keys: [String] = [], queueLimit: Int = 100,
                              secret: String? = nil) -> ServerConfiguration {
        var c = ServerConfiguration(
            host: "127.0.0.1", port: 0, publicBaseURL: "http://files.test", dataDirectory: temporaryDirectory(label),
            apiKeys: keys, webhookSecret: secret, workers: workers, queueLimit: queueLimit,
            allowPrivateNetworks: true, shutdownGrace: 0.5,
            webhookRetry: RetrySchedule(initial: 0.05, factor: 2, cap: 1, maxAttempts: 30))
            .withQuickRenderRetries()
        c.database = freshDatabase(label)
        // A stable name per configuration: a test that restarts a server restarts the same node, which takes its
        // own claims back at once (as a restarted node does in production).
        c.nodeName = "test-\(label)-\(UUID().uuidString.prefix(8))"
        return c
    }

    /// The store a configuration names: SQLite in its data folder, or its PostgreSQL schema.
    static func store(_ config: ServerConfiguration) async throws -> any TaskStore {
        try await openStore(config, logger: quietLogger)
    }

    /// Every task id in a store, oldest first.
    static func taskIds(_ store: any TaskStore) async throws -> [String] {
        switch store {
        case let s as SQLiteTaskStore: return try s.taskIds()
        case let p as PostgresTaskStore: return try await p.taskIds()
        default: Issue.record("unknown store \(type(of: store))"); return []
        }
    }

    static var quietLogger: Logger {
        var l = Logger(label: "test")
        l.logLevel = .warning
        return l
    }

    /// A multipart/form-data body.
    static func multipart(_ fields: [(String, String)], image: Data? = nil, filename: String = "photo.jpg",
                          boundary: String = "XbOuNdArY42") -> ByteBuffer {
        var d = Data()
        for (name, value) in fields {
            d.append(Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n".utf8))
        }
        if let image {
            d.append(Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"image_file\"; filename=\"\(filename)\"\r\nContent-Type: application/octet-stream\r\n\r\n".utf8))
            d.append(image)
            d.append(Data("\r\n".utf8))
        }
        d.append(Data("--\(boundary)--\r\n".utf8))
        return ByteBuffer(bytes: d)
    }

    static let multipartHeaders: HTTPFields = [.contentType: "multipart/form-data; boundary=XbOuNdArY42"]

    static func json(_ buffer: ByteBuffer) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(buffer.readableBytesView))) as? [String: Any] ?? [:]
    }

    /// A PNG header claiming `width` x `height` (enough for the pixel-limit check, which runs before decoding).
    static func pngHeader(width: UInt32, height: UInt32) -> Data {
        var d = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }
        let body: [UInt8] = Array("IHDR".utf8) + be32(width) + be32(height) + [8, 2, 0, 0, 0]
        d.append(contentsOf: be32(13))
        d.append(contentsOf: body)
        d.append(contentsOf: be32(crc32(body)))
        d.append(contentsOf: be32(0) + Array("IEND".utf8) + be32(crc32(Array("IEND".utf8))))
        return d
    }

    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for b in bytes {
            c ^= UInt32(b)
            for _ in 0..<8 { c = (c & 1) != 0 ? (c >> 1) ^ 0xEDB8_8320 : c >> 1 }
        }
        return ~c
    }

    static func rowCount(_ config: ServerConfiguration) async throws -> Int {
        try await taskIds(store(config)).count
    }

    /// The `chromasong` product built beside the test bundle (what `swift build --build-tests` makes), for tests
    /// that run renders in worker processes or the real server.
    static var chromasongBinary: URL {
        let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for dir in [beside, beside.deletingLastPathComponent(), root.appendingPathComponent(".build/release"),
                    root.appendingPathComponent(".build/debug")] {
            let candidate = dir.appendingPathComponent("chromasong")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        return beside.appendingPathComponent("chromasong")
    }

    /// A configuration whose renders run in `chromasong render-worker` children, with quick retries.
    static func isolatedConfiguration(_ label: String, workers: Int = 1, limits: RenderLimits = RenderLimits(
        retry: RetrySchedule(initial: 0.05, factor: 2, cap: 1, maxAttempts: 3))) -> ServerConfiguration {
        var c = configuration(label, workers: workers)
        c.renderWorker = .process(executable: chromasongBinary)
        c.renderLimits = limits
        return c
    }

    static func uploadCount(_ config: ServerConfiguration) -> Int {
        (try? FileManager.default.contentsOfDirectory(atPath: config.dataDirectory.appendingPathComponent("uploads").path))?.count ?? 0
    }
}

/// An image fetcher for tests: serves the example photo for one URL, refuses others as the real one would.
struct FakeImageFetcher: ImageURLFetcher {
    func fetchImage(_ url: String) async throws(RequestError) -> Data {
        if url == "https://images.test/flower.jpg" { return ServerFixtures.photoBytes }
        throw RequestError(field: "image_url", message: "could not be fetched: host not found")
    }
}

extension ServerConfiguration {
    /// Render retries after 0.05 s, 0.1 s (3 attempts): tests wait for the cap, not for the production backoff.
    func withQuickRenderRetries() -> ServerConfiguration {
        var c = self
        c.renderLimits.retry = RetrySchedule(initial: 0.05, factor: 2, cap: 1, maxAttempts: 3)
        return c
    }
}
