import Foundation
#if canImport(Glibc)
import Glibc
#endif
@testable import SongEngine

/// Paths and small builders shared by the end-to-end tests.
enum TestSupport {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let example = root.appendingPathComponent("examples/yellowflower.jpg")
    /// The shared photos (../shared/images beside the checkout, as CI has it).
    static let sharedImages = root.deletingLastPathComponent().appendingPathComponent("shared/images")

    static var photos: [URL] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: sharedImages.path)) ?? []
        return names.filter { ["jpg", "png", "gif", "bmp", "webp"].contains(($0 as NSString).pathExtension.lowercased()) }
            .sorted().map { sharedImages.appendingPathComponent($0) }
    }

    static func temporaryDirectory(_ label: String) -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("chromasong-\(label)-\(UUID().uuidString.prefix(8))")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// The engine, loaded once for all tests (it is thread-safe).
    static let engine: ChromasongEngine = {
        do { return try ChromasongEngine() } catch { fatalError("presets failed to load: \(error)") }
    }()

    /// The CLI built beside the test bundle.
    static var cli: URL {
        let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for dir in [beside, beside.deletingLastPathComponent(), root.appendingPathComponent(".build/release"),
                    root.appendingPathComponent(".build/debug")] {
            let candidate = dir.appendingPathComponent("chromasong")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        return beside.appendingPathComponent("chromasong")
    }

    struct RunResult {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static func run(_ executable: URL, _ arguments: [String]) throws -> RunResult {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        // Foundation's waitUntilExit spins a run loop off the main thread; poll instead.
        while process.isRunning { usleep(10_000) }
        return RunResult(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                         stderr: String(decoding: errData, as: UTF8.self))
    }

    /// A w x h 24-bit BMP of one colour, written by hand (no encoder needed).
    static func bmp(width: Int, height: Int, rgb: (UInt8, UInt8, UInt8)) -> Data {
        let rowSize = (width * 3 + 3) / 4 * 4
        let pixelBytes = rowSize * height
        var d = Data()
        func le32(_ v: Int) { withUnsafeBytes(of: UInt32(v).littleEndian) { d.append(contentsOf: $0) } }
        func le16(_ v: Int) { withUnsafeBytes(of: UInt16(v).littleEndian) { d.append(contentsOf: $0) } }
        d.append(contentsOf: [0x42, 0x4D]); le32(54 + pixelBytes); le32(0); le32(54)
        le32(40); le32(width); le32(height); le16(1); le16(24); le32(0); le32(pixelBytes); le32(2835); le32(2835); le32(0); le32(0)
        for _ in 0..<height {
            var row = [UInt8]()
            for _ in 0..<width { row += [rgb.2, rgb.1, rgb.0] }
            row += [UInt8](repeating: 0, count: rowSize - width * 3)
            d.append(contentsOf: row)
        }
        return d
    }

    /// A PNG signature and IHDR chunk claiming width x height, followed by a tiny bogus IDAT and IEND.
    static func pngHeader(width: UInt32, height: UInt32) -> Data {
        var d = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        func chunk(_ type: String, _ body: [UInt8]) {
            withUnsafeBytes(of: UInt32(body.count).bigEndian) { d.append(contentsOf: $0) }
            let typed = Array(type.utf8) + body
            d.append(contentsOf: typed)
            withUnsafeBytes(of: crc32(typed).bigEndian) { d.append(contentsOf: $0) }
        }
        var ihdr = [UInt8]()
        withUnsafeBytes(of: width.bigEndian) { ihdr += $0 }
        withUnsafeBytes(of: height.bigEndian) { ihdr += $0 }
        ihdr += [8, 6, 0, 0, 0]
        chunk("IHDR", ihdr)
        chunk("IDAT", [0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01])
        chunk("IEND", [])
        return d
    }

    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for b in bytes {
            c ^= UInt32(b)
            for _ in 0..<8 { c = (c & 1) != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        }
        return c ^ 0xFFFF_FFFF
    }

    /// Width and height from a PNG's IHDR.
    static func pngSize(_ url: URL) -> (Int, Int)? {
        guard let d = try? Data(contentsOf: url), d.count > 24 else { return nil }
        let b = [UInt8](d[16..<24])
        let w = Int(b[0]) << 24 | Int(b[1]) << 16 | Int(b[2]) << 8 | Int(b[3])
        let h = Int(b[4]) << 24 | Int(b[5]) << 16 | Int(b[6]) << 8 | Int(b[7])
        return (w, h)
    }
}
