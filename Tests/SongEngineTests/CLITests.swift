import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import SongEngine

/// Issue 2, must-show 9: every bad input gets one line naming the problem, a non-zero exit, and no files in --out.
@Suite(.serialized) struct CLIBadInputTests {
    struct Case: Sendable, CustomStringConvertible {
        var name: String
        /// Bytes of the image file to write, or nil for no file at all.
        var image: Data?
        var fileName: String = "input.jpg"
        var arguments: [String] = []
        /// The field the message must name.
        var field: String
        var description: String { name }
    }

    static var cases: [Case] {
        let jpeg = (try? Data(contentsOf: TestSupport.example)) ?? Data()
        return [
            Case(name: "missing file", image: nil, field: "image_file"),
            Case(name: "empty file", image: Data(), field: "image_file"),
            Case(name: "truncated JPEG", image: jpeg.prefix(jpeg.count / 2), field: "image_file"),
            Case(name: "text named .jpg", image: Data("hello, I am not a picture\n".utf8), field: "image_file"),
            Case(name: "TIFF", image: Data([0x49, 0x49, 0x2A, 0x00, 8, 0, 0, 0] + [UInt8](repeating: 0, count: 64)),
                 fileName: "input.tif", field: "image_file"),
            Case(name: "PNG claiming 30000x30000", image: TestSupport.pngHeader(width: 30000, height: 30000),
                 fileName: "huge.png", field: "image_file"),
            Case(name: "unknown key", image: jpeg, arguments: ["--key", "H major"], field: "key"),
            Case(name: "bpm 500", image: jpeg, arguments: ["--bpm", "500"], field: "bpm"),
            Case(name: "duration 3", image: jpeg, arguments: ["--duration", "3"], field: "duration"),
            Case(name: "instrumental and vocal-only", image: jpeg, arguments: ["--instrumental", "--vocal-only"],
                 field: "make_instrumental"),
            Case(name: "unknown voice", image: jpeg, arguments: ["--voice", "nobody"], field: "voice_id"),
            Case(name: "301-character prompt", image: jpeg, arguments: ["--prompt", String(repeating: "a", count: 301)],
                 field: "prompt"),
            // Issue 9: usage errors exit 2 (not ArgumentParser's 64) in one line naming the option.
            Case(name: "unparseable bpm", image: jpeg, arguments: ["--bpm", "fast"], field: "--bpm"),
            Case(name: "unparseable versions", image: jpeg, arguments: ["--versions", "two"], field: "--versions"),
            Case(name: "unknown option", image: jpeg, arguments: ["--loudness", "9"], field: "--loudness"),
            // Issue 9, findings 2 and 12b from the command line.
            Case(name: "lyrics too long for 600 s", image: jpeg,
                 arguments: ["--bpm", "40", "--lyrics", String(repeating: "[Verse]\nthe light is falling on the river\n", count: 70)],
                 field: "lyrics"),
            Case(name: "one grapheme of 10,001 scalars", image: jpeg,
                 arguments: ["--prompt", "a" + String(repeating: "\u{0301}", count: 10_000)], field: "prompt"),
        ]
    }

    @Test(arguments: cases)
    func rejectsWithOneLineAndNoFiles(_ c: Case) throws {
        let dir = TestSupport.temporaryDirectory("bad")
        defer { try? FileManager.default.removeItem(at: dir) }
        let image = dir.appendingPathComponent(c.fileName)
        if let bytes = c.image { try bytes.write(to: image) }
        let out = dir.appendingPathComponent("out")
        let result = try TestSupport.run(TestSupport.cli, ["render", image.path, "--out", out.path] + c.arguments)
        #expect(result.status == 2, "every rule the input breaks exits 2: \(result.status) \(result.stderr)")
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1, "expected one line, got: \(result.stderr)")
        #expect(result.stderr.contains(c.field), "message should name \(c.field): \(result.stderr)")
        let left = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        #expect(!left.contains { $0 != c.fileName }, "files left behind: \(left)")
    }

    @Test func oneByOneImageRenders() throws {
        let dir = TestSupport.temporaryDirectory("tiny")
        defer { try? FileManager.default.removeItem(at: dir) }
        let image = dir.appendingPathComponent("dot.bmp")
        try TestSupport.bmp(width: 1, height: 1, rgb: (200, 120, 40)).write(to: image)
        let out = dir.appendingPathComponent("out")
        let result = try TestSupport.run(TestSupport.cli, ["render", image.path, "--out", out.path, "--instrumental",
                                                           "--duration", "10", "--versions", "1", "--formats", "wav"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("v1/mix.wav").path))
    }

    /// Issue 9, finding 11: an --out folder that holds files is refused (exit 2, one line naming out) and left as it
    /// was; --force writes into it; an empty existing folder is fine.
    @Test func existingOutFolderIsRefusedUnlessForced() throws {
        let dir = TestSupport.temporaryDirectory("outfull")
        defer { try? FileManager.default.removeItem(at: dir) }
        let image = dir.appendingPathComponent("dot.bmp")
        try TestSupport.bmp(width: 4, height: 4, rgb: (200, 120, 40)).write(to: image)
        let out = dir.appendingPathComponent("out")
        try FileManager.default.createDirectory(at: out.appendingPathComponent("v1"), withIntermediateDirectories: true)
        let mine = out.appendingPathComponent("v1/mix.wav")
        try Data("the user's own file".utf8).write(to: mine)
        let quick = ["--instrumental", "--duration", "10", "--versions", "1", "--formats", "wav"]
        let refused = try TestSupport.run(TestSupport.cli, ["render", image.path, "--out", out.path] + quick)
        #expect(refused.status == 2, "\(refused.stderr)")
        #expect(refused.stderr.hasPrefix("chromasong: out: ") && refused.stderr.contains("--force"), "\(refused.stderr)")
        #expect(refused.stderr.split(separator: "\n").count == 1)
        #expect(try Data(contentsOf: mine) == Data("the user's own file".utf8), "the user's file is untouched")
        #expect(try FileManager.default.contentsOfDirectory(atPath: out.path) == ["v1"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() == ["dot.bmp", "out"])

        let forced = try TestSupport.run(TestSupport.cli, ["render", image.path, "--out", out.path, "--force"] + quick)
        #expect(forced.status == 0, "\(forced.stderr)")
        #expect(try Data(contentsOf: mine).count > 1000, "--force replaces the entry of the same name")

        let empty = dir.appendingPathComponent("empty")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        let intoEmpty = try TestSupport.run(TestSupport.cli, ["render", image.path, "--out", empty.path] + quick)
        #expect(intoEmpty.status == 0, "\(intoEmpty.stderr)")
        #expect(FileManager.default.fileExists(atPath: empty.appendingPathComponent("v1/mix.wav").path))
    }

    /// Issue 9, finding 11: an --out that cannot be written is one line naming out, not a Foundation error dump.
    @Test func unwritableOutIsOneLineNamingOut() throws {
        let dir = TestSupport.temporaryDirectory("outbad")
        defer { try? FileManager.default.removeItem(at: dir) }
        let image = dir.appendingPathComponent("dot.bmp")
        try TestSupport.bmp(width: 4, height: 4, rgb: (200, 120, 40)).write(to: image)
        let file = dir.appendingPathComponent("plain-file")
        try Data("x".utf8).write(to: file)
        for out in [file.appendingPathComponent("sub/out").path, file.path] {
            let result = try TestSupport.run(TestSupport.cli, ["render", image.path, "--out", out, "--instrumental",
                                                               "--duration", "10", "--versions", "1"])
            #expect(result.status == 2, "\(result.stderr)")
            #expect(result.stderr.hasPrefix("chromasong: out: "), "\(result.stderr)")
            #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
            #expect(!result.stderr.contains("Error Domain") && !result.stderr.contains("NSCocoa"), "\(result.stderr)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() == ["dot.bmp", "plain-file"])
    }

    /// Issue 9, finding 11: SIGINT or SIGTERM in the middle of a render leaves neither the hidden staging folder
    /// nor a half-written --out, and exits 130 or 143.
    @Test(arguments: [SIGINT, SIGTERM])
    func interruptedRenderLeavesNothing(_ signo: Int32) throws {
        let dir = TestSupport.temporaryDirectory("sig")
        defer { try? FileManager.default.removeItem(at: dir) }
        let image = dir.appendingPathComponent("dot.bmp")
        try TestSupport.bmp(width: 16, height: 16, rgb: (40, 120, 200)).write(to: image)
        let out = dir.appendingPathComponent("out")
        let process = Process()
        process.executableURL = TestSupport.cli
        // A long song: several seconds of synthesis after the staging folder appears.
        process.arguments = ["render", image.path, "--out", out.path, "--instrumental", "--duration", "600",
                             "--versions", "2", "--formats", "wav,flac"]
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        func staging() -> [String] {
            ((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []).filter { $0.contains(".partial-") }
        }
        var waited = 0
        while staging().isEmpty && process.isRunning && waited < 6000 { usleep(10_000); waited += 1 }
        #expect(!staging().isEmpty, "the render never staged anything")
        usleep(300_000)
        #expect(process.isRunning, "the render ended before the signal")
        kill(process.processIdentifier, signo)
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        while process.isRunning { usleep(10_000) }
        let stderr = String(decoding: errData, as: UTF8.self)
        #expect(process.terminationReason == .exit, "killed by the signal instead of handling it: \(stderr)")
        #expect(process.terminationStatus == 128 + signo, "\(stderr)")
        #expect(stderr.contains("interrupted"), "\(stderr)")
        #expect(staging().isEmpty, "staging left behind: \(staging())")
        #expect(!FileManager.default.fileExists(atPath: out.path), "a half-written --out")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["dot.bmp"])
    }
}
