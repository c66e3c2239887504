import Foundation
import Hummingbird

// libFuzzer target: multipart/form-data bodies through RawSubmission.readMultipart (MultipartStream and the server's
// per-part limits), streamed in chunks, then the submission's validation.
// Input: the Content-Type header value, a newline, then the body. The body is cut into chunks whose sizes come
// from the first body byte, so part boundaries and headers fall across chunk edges.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzMultipart(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = fuzzBytes(data, size)
    let newline = bytes.firstIndex(of: 0x0A) ?? bytes.count
    let contentType = String(decoding: bytes[..<newline], as: UTF8.self)
    let body = Array(bytes[min(bytes.count, newline + 1)...])
    guard let boundary = RawSubmission.parameter("boundary", in: contentType), !boundary.isEmpty else { return 0 }
    let chunkSize = 1 + Int(body.first ?? 0) % 64
    var chunks: [ByteBuffer] = []
    var start = 0
    while start < body.count {
        let end = min(body.count, start + chunkSize)
        chunks.append(ByteBuffer(bytes: body[start..<end]))
        start = end
    }
    let sequence = chunks.async
    fuzzBlocking {
        // A small image limit so the overflow paths are reachable with small inputs.
        if let raw = try? await RawSubmission.readMultipart(RequestBody(asyncSequence: sequence), boundary: boundary,
                                                           imageLimit: 4096) {
            if let image = raw.image { precondition(!image.isEmpty && image.count <= 4096, "image over its limit") }
            for (_, value) in raw.fields { precondition(value.utf8.count <= RawSubmission.textFieldLimit) }
            fuzzValidate(raw)
        }
    }
    return 0
}

/// An array as an AsyncSequence of its elements.
struct AsyncArray<Element: Sendable>: AsyncSequence, Sendable {
    let elements: [Element]
    struct AsyncIterator: AsyncIteratorProtocol {
        var index = 0
        let elements: [Element]
        mutating func next() async -> Element? {
            guard index < elements.count else { return nil }
            defer { index += 1 }
            return elements[index]
        }
    }
    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(elements: elements) }
}

extension Array where Element: Sendable {
    var async: AsyncArray<Element> { AsyncArray(elements: self) }
}
