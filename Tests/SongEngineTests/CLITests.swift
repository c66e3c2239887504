import Foundation
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
        #expect(result.status != 0)
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
}
