import NIOCore

/// A streaming multipart/form-data parser (RFC 7578 over RFC 2046's framing) for untrusted upload bodies.
///
/// Why our own: MultipartKit 4.7.1's push parser traps on a part header name holding a byte >= 0x80 (it indexes a
/// 128-entry table with the raw byte), so one request killed the server; the Swift fuzz target found it
/// (`Fuzz/swift/crashes/multipart-header-name-byte-0x80`). This parser is small, bounded and fuzzed in CI
/// (`scripts/fuzz-swift.sh multipart`). It keeps MultipartKit's callback shape so `RawSubmission` reads the same.
///
/// Bounds: a part's header block is at most `maxHeaderBytes`; at most `maxParts` parts; header names are RFC 7230
/// tokens and values are visible characters, SP or HTAB (obs-text, bytes >= 0x80, allowed in values only, for
/// UTF-8 file names). `finish()` refuses a body that ends before the closing delimiter (`--boundary--`), so a cut
/// body never passes with its last field silently dropped. Memory held: at most one header block plus the
/// delimiter's length of body bytes.
final class MultipartStream {
    enum Failure: Error, Equatable {
        case malformed(String)
        case tooManyParts(Int)
        case truncated
    }

    var onHeader: (String, String) -> Void = { _, _ in }
    var onBody: (ByteBuffer) -> Void = { _ in }
    var onPartComplete: () -> Void = {}

    let maxParts: Int
    let maxHeaderBytes: Int
    private(set) var parts = 0

    private enum State { case preamble, afterBoundary, headers, body, epilogue }
    private var state = State.preamble
    /// Bytes not yet decided on (a possible delimiter across chunk edges, a header block in progress).
    private var pending: [UInt8] = []
    /// How far `pending` was already searched for the marker the state waits for (a boundary line, the end of a
    /// header block): a body trickled in tiny chunks is then scanned once, not once per chunk.
    private var scanned = 0
    /// "--boundary" (the first delimiter has no CRLF before it when the body starts with it).
    private let dashBoundary: [UInt8]
    /// "\r\n--boundary": what ends a part's body.
    private let delimiter: [UInt8]

    init(boundary: String, maxParts: Int = 32, maxHeaderBytes: Int = 8 * 1024) {
        dashBoundary = Array("--".utf8) + Array(boundary.utf8)
        delimiter = [0x0D, 0x0A] + dashBoundary
        self.maxParts = maxParts
        self.maxHeaderBytes = maxHeaderBytes
    }

    /// Feeds the next chunk of the body; callbacks fire as parts are recognised.
    func execute(_ chunk: ByteBuffer) throws(Failure) {
        chunk.withUnsafeReadableBytes { pending.append(contentsOf: $0) }
        try advance()
    }

    /// The body ended: it must have ended with the closing delimiter.
    func finish() throws(Failure) {
        try advance()
        guard state == .epilogue else { throw .truncated }
    }

    private func advance() throws(Failure) {
        var progress = true
        while progress {
            progress = false
            switch state {
            case .preamble:
                // The body must start with the first delimiter (browsers, curl and every client we know send no
                // preamble; RFC 2046 allows one, so skip up to a line that starts with it).
                if let at = find(dashBoundary, in: pending, from: max(0, scanned - dashBoundary.count)) {
                    guard at == 0 || (at >= 2 && pending[at - 2] == 0x0D && pending[at - 1] == 0x0A) else {
                        throw .malformed("text before the first boundary")
                    }
                    pending.removeFirst(at + dashBoundary.count)
                    scanned = 0
                    state = .afterBoundary
                    progress = true
                } else if pending.count > maxHeaderBytes {
                    throw .malformed("no boundary in the first \(maxHeaderBytes) bytes")
                } else {
                    scanned = pending.count
                }
            case .afterBoundary:
                // "--" closes the body; otherwise optional transport padding then CRLF starts a part.
                guard pending.count >= 2 else { break }
                if pending[0] == 0x2D && pending[1] == 0x2D {
                    pending.removeAll()
                    scanned = 0
                    state = .epilogue
                    progress = true
                    break
                }
                var i = 0
                while i < pending.count, pending[i] == 0x20 || pending[i] == 0x09 { i += 1 }
                if i > 64 { throw .malformed("a boundary line is followed by junk") }
                guard i + 2 <= pending.count else { break }
                guard pending[i] == 0x0D, pending[i + 1] == 0x0A else {
                    throw .malformed("a boundary line is followed by junk")
                }
                pending.removeFirst(i + 2)
                scanned = 0
                parts += 1
                if parts > maxParts { throw .tooManyParts(maxParts) }
                state = .headers
                progress = true
            case .headers:
                if pending.count >= 2, pending[0] == 0x0D, pending[1] == 0x0A {
                    // A part with no headers at all.
                    pending.removeFirst(2)
                    scanned = 0
                    state = .body
                    progress = true
                    break
                }
                guard let end = find([0x0D, 0x0A, 0x0D, 0x0A], in: pending, from: max(0, scanned - 3)) else {
                    if pending.count > maxHeaderBytes { throw .malformed("a part's headers exceed \(maxHeaderBytes) bytes") }
                    scanned = pending.count
                    break
                }
                if end > maxHeaderBytes { throw .malformed("a part's headers exceed \(maxHeaderBytes) bytes") }
                try parseHeaders(pending[0..<end])
                pending.removeFirst(end + 4)
                scanned = 0
                state = .body
                progress = true
            case .body:
                if let at = find(delimiter, in: pending, from: 0) {
                    if at > 0 { onBody(ByteBuffer(bytes: pending[0..<at])) }
                    onPartComplete()
                    pending.removeFirst(at + delimiter.count)
                    scanned = 0
                    state = .afterBoundary
                    progress = true
                } else {
                    // Everything but a possible start of the delimiter is body.
                    let keep = min(pending.count, delimiter.count - 1)
                    let emit = pending.count - keep
                    if emit > 0 {
                        onBody(ByteBuffer(bytes: pending[0..<emit]))
                        pending.removeFirst(emit)
                    }
                }
            case .epilogue:
                pending.removeAll()  // anything after the closing delimiter is ignored (RFC 2046)
            }
        }
    }

    private func parseHeaders(_ block: ArraySlice<UInt8>) throws(Failure) {
        var lineStart = block.startIndex
        while lineStart < block.endIndex {
            var lineEnd = lineStart
            while lineEnd < block.endIndex && !(block[lineEnd] == 0x0D && lineEnd + 1 < block.endIndex && block[lineEnd + 1] == 0x0A) {
                lineEnd += 1
            }
            let line = block[lineStart..<lineEnd]
            guard let colon = line.firstIndex(of: 0x3A), colon > line.startIndex else {
                throw .malformed("a part header has no name")
            }
            let name = line[line.startIndex..<colon]
            guard name.allSatisfy(Self.isTokenByte) else { throw .malformed("a part header name is not a token") }
            var value = line[(colon + 1)...]
            guard value.allSatisfy({ $0 == 0x09 || ($0 >= 0x20 && $0 != 0x7F) }) else {
                throw .malformed("a part header value holds a control character")
            }
            while let f = value.first, f == 0x20 || f == 0x09 { value = value.dropFirst() }
            while let l = value.last, l == 0x20 || l == 0x09 { value = value.dropLast() }
            onHeader(String(decoding: name, as: UTF8.self), String(decoding: value, as: UTF8.self))
            lineStart = lineEnd + 2
        }
    }

    /// RFC 7230 tchar.
    static func isTokenByte(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return Array("!#$%&'*+-.^_`|~".utf8).contains(b)
        }
    }

    private func find(_ needle: [UInt8], in haystack: [UInt8], from: Int) -> Int? {
        guard let first = needle.first, haystack.count >= needle.count else { return nil }
        var i = from
        let last = haystack.count - needle.count
        while i <= last {
            if haystack[i] == first {
                var j = 1
                while j < needle.count && haystack[i + j] == needle[j] { j += 1 }
                if j == needle.count { return i }
            }
            i += 1
        }
        return nil
    }
}
