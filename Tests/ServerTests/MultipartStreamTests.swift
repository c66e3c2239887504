import Foundation
import Hummingbird
import NIOCore
import Testing
@testable import ChromasongServer

/// Issue 9: the multipart parser the server reads uploads with (`MultipartStream`). MultipartKit 4.7.1, used before,
/// trapped on the fuzzer's input below (one request killed the server); a body cut before its closing boundary was
/// accepted with its last field dropped (finding 5); any number of parts was parsed (finding 3).
@Suite struct MultipartStreamTests {
    typealias F = ServerFixtures

    /// Runs `body` through `readMultipart` in chunks of `chunk` bytes.
    func read(_ body: [UInt8], boundary: String = "XbOuNdArY42", chunk: Int = 8192) async throws -> RawSubmission {
        let buffers = stride(from: 0, to: body.count, by: chunk).map {
            ByteBuffer(bytes: body[$0..<min(body.count, $0 + chunk)])
        }
        let stream = AsyncStream<ByteBuffer> { c in
            for b in buffers { c.yield(b) }
            c.finish()
        }
        return try await RawSubmission.readMultipart(RequestBody(asyncSequence: stream), boundary: boundary,
                                                     imageLimit: 1 << 20)
    }

    func status(_ body: [UInt8], boundary: String = "XbOuNdArY42") async -> HTTPResponse.Status? {
        do {
            _ = try await read(body, boundary: boundary)
            return nil
        } catch let e as APIError {
            return e.status
        } catch {
            return .internalServerError
        }
    }

    @Test func fuzzerFoundHeaderNameByteIsRefusedNotFatal() async throws {
        // The libFuzzer reproducer, kept as a seed of the multipart corpus: "Content-Dispos\u{BC}ition" as a part
        // header name. First line: the Content-Type header; the body follows.
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../Fuzz/corpus/multipart/crash-header-name-byte-0x80")
        let bytes = [UInt8](try Data(contentsOf: url))
        let newline = bytes.firstIndex(of: 0x0A)!
        let body = Array(bytes[(newline + 1)...])
        #expect(body.contains(0xBC))
        #expect(await status(body, boundary: "b") == .badRequest)
    }

    @Test func truncatedBodyIsRefused() async throws {
        let whole = [UInt8](F.multipart([("prompt", "calm piano"), ("bpm", "96")]).readableBytesView)
        // Whole: both fields.
        let ok = try await read(whole)
        #expect(ok.fields["prompt"] == "calm piano" && ok.fields["bpm"] == "96")
        // Cut anywhere before the closing delimiter's end: 400, never a submission missing its last field.
        let closing = whole.count - "--XbOuNdArY42--\r\n".utf8.count
        for cut in [whole.count / 2, closing, closing + 5, closing + 14] {
            #expect(await status(Array(whole[..<cut])) == .badRequest, "cut at \(cut) of \(whole.count)")
        }
    }

    @Test func partCountIsBounded() async throws {
        let fields = (0..<1000).map { ("f\($0)", "x") }
        let body = [UInt8](F.multipart(fields).readableBytesView)
        #expect(await status(body) == .contentTooLarge)
        let fine = (0..<30).map { ("f\($0)", "x") }
        let parsed = try await read([UInt8](F.multipart(fine).readableBytesView))
        #expect(parsed.fields.count == 30)
    }

    @Test func sameResultWhateverTheChunking() async throws {
        let image = Data((0..<5000).map { UInt8(truncatingIfNeeded: $0 &* 31) } + Array("\r\n--XbOuNdArY4".utf8))
        let whole = [UInt8](F.multipart([("prompt", "héllo – ✓"), ("lyrics", "[Verse]\nla la\r\n--not the boundary")],
                                        image: image, filename: "café.jpg").readableBytesView)
        for chunk in [1, 2, 3, 7, 16, 64, 1000, whole.count] {
            let r = try await read(whole, chunk: chunk)
            #expect(r.image == image, "chunk \(chunk)")
            #expect(r.fields["prompt"] == "héllo – ✓")
            #expect(r.fields["lyrics"] == "[Verse]\nla la\r\n--not the boundary")
        }
    }

    @Test func malformedFramingIsRefused() async throws {
        let cases: [String] = [
            "garbage with no boundary at all",
            "--XbOuNdArY42\r\nContent-Disposition form-data\r\n\r\nx\r\n--XbOuNdArY42--\r\n",  // header without colon
            "--XbOuNdArY42junk\r\n\r\nx\r\n--XbOuNdArY42--\r\n",
            "--XbOuNdArY42\r\nBad Name: v\r\n\r\nx\r\n--XbOuNdArY42--\r\n",
            "--XbOuNdArY42\r\nX: a\u{01}b\r\n\r\nx\r\n--XbOuNdArY42--\r\n",
            "",
        ]
        for text in cases {
            #expect(await status(Array(text.utf8)) == .badRequest, "\(text.debugDescription)")
        }
    }
}
