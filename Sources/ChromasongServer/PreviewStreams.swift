import Foundation
import Hummingbird
import SongEngine
import Synchronization
#if canImport(Glibc)
import Glibc
private let sysWrite = Glibc.write, sysClose = Glibc.close
#elseif canImport(Darwin)
import Darwin
private let sysWrite = Darwin.write, sysClose = Darwin.close
#endif

/// The progressive audio stream of each conversion (issue 14; docs/server.md "Preview stream").
///
/// The render that holds a task's claim writes each version's preview (`RenderOptions.previews`: a WAV whose
/// header gives the exact length, then the samples as they are made, through the provisional master of
/// `PreviewStream`) to `DATA_DIR/streams/<task_id>/<conversion_id>-<claim>.wav`. Any API node reads it from the
/// shared folder while it grows (`PreviewTail`), so on a cluster the stream comes from the rendering node's writes
/// without the API node knowing which node that is. The claim in the name keeps a retried attempt's stream apart
/// from the one before it. Files are temporary: the retention sweep deletes a task's streams once they have not
/// been written for `PreviewFiles.lifetime` seconds, whatever the result retention.
struct PreviewFiles: Sendable {
    let directory: URL

    /// Seconds a stream file is kept after its last write (a render writes it every fraction of a second while
    /// it renders, and finishes it before mastering starts).
    static let lifetime: Double = 15 * 60

    init(dataDirectory: URL) { directory = dataDirectory.appendingPathComponent("streams") }
    init(directory: URL) { self.directory = directory }

    func folder(taskId: String) -> URL { directory.appendingPathComponent(taskId) }

    func url(taskId: String, conversionId: String, claim: Int) -> URL {
        folder(taskId: taskId).appendingPathComponent("\(conversionId)-\(claim).wav")
    }

    /// A writer for every version of one claim of a task, for `RenderOptions.previews`.
    func writer(taskId: String, conversionIds: [String], claim: Int) -> PreviewFileWriter {
        PreviewFileWriter(urls: conversionIds.map { url(taskId: taskId, conversionId: $0, claim: claim) })
    }

    /// Deletes the stream files not written for `lifetime` seconds, and task folders left empty. Returns the
    /// files and bytes removed.
    func sweep(now: Date = Date()) -> (files: Int, bytes: Int) {
        let fm = FileManager.default
        var files = 0, bytes = 0
        for task in (try? fm.contentsOfDirectory(atPath: directory.path)) ?? [] {
            let folder = directory.appendingPathComponent(task)
            let names = (try? fm.contentsOfDirectory(atPath: folder.path)) ?? []
            var left = names.count
            for name in names {
                let url = folder.appendingPathComponent(name)
                guard let attributes = try? fm.attributesOfItem(atPath: url.path),
                      let modified = attributes[.modificationDate] as? Date,
                      now.timeIntervalSince(modified) > Self.lifetime else { continue }
                let size = (attributes[.size] as? NSNumber)?.intValue ?? 0
                if (try? fm.removeItem(at: url)) != nil {
                    files += 1
                    bytes += size
                    left -= 1
                }
            }
            if left == 0 { try? fm.removeItem(at: folder) }
        }
        return (files, bytes)
    }
}

/// Appends each version's preview bytes to its file, as the render sends them (on the version's render thread).
/// A write that fails (a full disk) ends that version's stream and never the render: the stream is a courtesy,
/// the delivered files are what the task promises. Readers see the bytes as soon as they are written.
final class PreviewFileWriter: Sendable {
    private let urls: [URL]
    /// Per version: its descriptor once opened, -1 before, -2 after a failure or close.
    private let descriptors: Mutex<[Int32]>

    init(urls: [URL]) {
        self.urls = urls
        descriptors = Mutex(Array(repeating: -1, count: urls.count))
    }

    deinit { close() }

    func write(version: Int, _ bytes: Data) {
        guard urls.indices.contains(version), !bytes.isEmpty else { return }
        // One version's bytes come from its own thread in order; the lock only guards the descriptor table.
        let fd = descriptors.withLock { table -> Int32 in
            if table[version] == -1 { table[version] = Self.openFile(urls[version]) }
            return table[version]
        }
        guard fd >= 0 else { return }
        let complete = bytes.withUnsafeBytes { raw -> Bool in
            var offset = 0
            while offset < raw.count {
                let n = sysWrite(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { return false }
                offset += n
            }
            return true
        }
        if !complete { finish(version: version) }
    }

    /// Closes every file (the render is over).
    func close() {
        for version in urls.indices { finish(version: version) }
    }

    private func finish(version: Int) {
        let fd = descriptors.withLock { table -> Int32 in
            let fd = table[version]
            table[version] = -2
            return fd
        }
        if fd >= 0 { _ = sysClose(fd) }
    }

    private static func openFile(_ url: URL) -> Int32 {
        try? FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        let fd = open(url.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        return fd >= 0 ? fd : -2
    }
}

/// Reads a preview file while the render is still writing it, and hands its bytes on in order until the length its
/// WAV header declares.
struct PreviewTail {
    /// How long to wait between looks at a file that has not grown.
    var pollInterval: Duration = .milliseconds(20)
    /// How often, while the file is not growing, to ask whether its writer may still write it.
    var aliveInterval: Double = 0.5
    /// The stream ends (incomplete) when the file has not grown for this long.
    var idleLimit: Double = 30
    var readSize = 256 * 1024

    enum Ending: Error, Equatable {
        /// The writer can no longer finish the file (its attempt ended, or it stopped growing).
        case abandoned
        /// The file is not a WAV with a data chunk of known length.
        case malformed
    }

    /// The whole length a WAV stream declares (`PreviewStream`'s canonical 44-byte header), from its first bytes;
    /// nil while fewer than 44 have arrived.
    static func declaredLength(_ header: Data) throws(Ending) -> Int? {
        guard header.count >= 44 else { return nil }
        let b = [UInt8](header.prefix(44))
        guard b[0..<4] == [0x52, 0x49, 0x46, 0x46], b[8..<12] == [0x57, 0x41, 0x56, 0x45],
              b[36..<40] == [0x64, 0x61, 0x74, 0x61] else { throw .malformed }
        let size = Int(b[40]) | Int(b[41]) << 8 | Int(b[42]) << 16 | Int(b[43]) << 24
        return 44 + size
    }

    /// Sends the file's bytes to `send` as they appear, until its declared length. `alive` is asked, while the file
    /// is not growing, whether its writer may still write it; when it says no, or the file stays the same for
    /// `idleLimit`, the stream ends with `Ending.abandoned` (the response is cut short, so a client can tell).
    /// Reads run on `Blocking`'s threads (on a network file system a read can wait).
    func stream(_ url: URL, alive: @Sendable () async throws -> Bool,
                send: (ByteBuffer) async throws -> Void) async throws {
        let fd = open(url.path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw Ending.abandoned }
        defer { _ = sysClose(fd) }
        var offset = 0
        var total: Int? = nil
        var header = Data()
        var lastGrowth = Date()
        var lastAsked = Date()
        while total.map({ offset < $0 }) ?? true {
            let chunk = try await Self.read(fd, at: offset, max: min(readSize, (total ?? Int.max) - offset))
            if !chunk.isEmpty {
                if total == nil {
                    header.append(contentsOf: chunk.prefix(44 - header.count))
                    total = try Self.declaredLength(header)
                }
                offset += chunk.count
                lastGrowth = Date()
                try await send(ByteBuffer(bytes: chunk))
                continue
            }
            let now = Date()
            if now.timeIntervalSince(lastGrowth) > idleLimit { throw Ending.abandoned }
            if now.timeIntervalSince(lastAsked) >= aliveInterval {
                lastAsked = now
                // Bytes written before the writer's end are read first: one more look after a "no".
                if try await !alive() {
                    if try await Self.read(fd, at: offset, max: 1).isEmpty { throw Ending.abandoned }
                    continue
                }
            }
            try await Task.sleep(for: pollInterval)
        }
    }

    /// Up to `max` bytes at `offset` (none at the end of the file, or when interrupted).
    static func read(_ fd: Int32, at offset: Int, max: Int) async throws -> [UInt8] {
        try await Blocking.run {
            var bytes = [UInt8](repeating: 0, count: max)
            let n = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress!, max, off_t(offset)) }
            if n < 0 {
                if errno == EINTR { return [] }
                throw Ending.abandoned
            }
            bytes.removeSubrange(n...)
            return bytes
        }
    }
}

/// Answers for a conversion's stream (docs/server.md "Preview stream"), reached two ways: with the API key at
/// `GET /api/public/v1/stream?conversion_id=…` (`APIController.stream`), and without one at the signed URL the
/// submission and byId hand out (`stream_url_N`: `/streams/<task_id>/<conversion_id>.wav?expires=…&sig=…`), which an
/// `<audio>` element can play since it cannot send a key.
struct PreviewStreamEndpoint: Sendable {
    let store: any TaskStore
    let dataDirectory: URL
    let payloads: Payloads
    /// Seconds a request waits for its conversion's first audio (a queued task, a render starting).
    var startWait: Double = 30

    /// The path a stream URL signs (beside the task's result files, which it cannot name).
    static func signedPath(conversionId: String) -> String { "streams/\(conversionId).wav" }

    /// The stream of `conversionId`, `lookup` giving its task (and throwing the 404 that fits the caller).
    func respond(conversionId: String, lookup: @Sendable () async throws -> StoredTask) async throws -> Response {
        var task = try await lookup()
        let files = PreviewFiles(dataDirectory: dataDirectory)
        let deadline = Date().addingTimeInterval(startWait)
        var lastLookup = Date()
        while true {
            let url = files.url(taskId: task.id, conversionId: conversionId, claim: task.attempts)
            switch task.status {
            case .failed:
                throw APIError(.conflict, "The conversion failed, so it has no audio: \(PublicMessage.scrub(task.statusMessage))")
            case .completed:
                if FileManager.default.fileExists(atPath: url.path) { return streamResponse(url, task: task) }
                // The stream was swept: the delivered audio is there for as long as the results are kept.
                guard task.filesExpiredAt == nil,
                      let version = task.manifest?.versions.first(where: { $0.conversionId == conversionId }),
                      let location = payloads.conversionPath(task, version)
                else { throw APIError(.gone, "The conversion's audio has been deleted by the retention policy.") }
                var headers: HTTPFields = [:]
                headers[.location] = location
                return Response(status: .temporaryRedirect, headers: headers, body: .init())
            case .inProgress:
                let size = (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? NSNumber)?.intValue ?? 0
                if size >= 44 { return streamResponse(url, task: task) }
            case .inQueue:
                break
            }
            if Date() >= deadline {
                var e = APIError(.serviceUnavailable, "The conversion has not started rendering yet; try the stream again shortly.")
                e.headers[.retryAfter] = "5"
                throw e
            }
            try await Task.sleep(for: .milliseconds(20))
            if Date().timeIntervalSince(lastLookup) >= 0.25 {
                lastLookup = Date()
                task = try await lookup()
            }
        }
    }

    /// The file's bytes as they come; alive while the task is IN_PROGRESS under the same claim, or COMPLETED.
    func streamResponse(_ url: URL, task: StoredTask) -> Response {
        let store = self.store
        let taskId = task.id, claim = task.attempts
        let headers: HTTPFields = [
            .contentType: "audio/wav",
            // A provisional master (docs/server.md): never cached as the song.
            .cacheControl: "no-store",
        ]
        let tail = PreviewTail()
        return Response(status: .ok, headers: headers, body: ResponseBody { writer in
            try await tail.stream(url, alive: {
                guard let t = try await store.task(id: taskId) else { return false }
                return t.attempts == claim && (t.status == .inProgress || t.status == .completed)
            }, send: { try await writer.write($0) })
            try await writer.finish(nil)
        })
    }
}

extension APIController {
    /// `GET /api/public/v1/stream?conversion_id=…` with the API key.
    @Sendable func stream(_ request: Request, context: Context) async throws -> Response {
        let conversionId = request.uri.queryParameters["conversion_id"].map(String.init) ?? ""
        guard !conversionId.isEmpty else {
            throw APIError([RequestError(field: "conversion_id", message: "is required")])
        }
        let owner = tenant(request)
        let store = self.store
        return try await PreviewStreamEndpoint(store: store, dataDirectory: configuration.dataDirectory, payloads: payloads)
            .respond(conversionId: conversionId) {
                // Another tenant's task answers exactly as an unknown id.
                guard let t = try await store.task(conversionId: conversionId), t.owner == owner else {
                    throw APIError(.notFound, "No task with conversion_id \(conversionId.prefix(80)).")
                }
                return t
            }
    }
}

/// `GET /streams/<task_id>/<conversion_id>.wav?expires=…&sig=…`: the signed stream URL (no key), as `ResultFiles`
/// serves the signed result files.
struct StreamURLs<Context: RequestContext> {
    let endpoint: PreviewStreamEndpoint
    let signer: FileSigner
    var now: @Sendable () -> Date = { Date() }

    func addRoutes(to router: Router<Context>) {
        router.get("streams/:task/:file", use: serve)
    }

    @Sendable func serve(_ request: Request, context: Context) async throws -> Response {
        let notFound = APIError(.notFound, "No such stream.")
        guard let taskId = context.parameters.get("task"), let file = context.parameters.get("file"),
              file.hasSuffix(".wav"), !file.hasPrefix("."), !taskId.hasPrefix(".") else { throw notFound }
        let conversionId = String(file.dropLast(4))
        let q = request.uri.queryParameters
        switch signer.verify(taskId: taskId, path: PreviewStreamEndpoint.signedPath(conversionId: conversionId),
                             expires: q["expires"].map(String.init), signature: q["sig"].map(String.init), now: now()) {
        case .valid: break
        case .missing:
            throw APIError(.forbidden, "This stream URL has no signature; use the stream_url the submission or byId gave.")
        case .invalid:
            throw APIError(.forbidden, "This stream URL's signature is not valid; use the stream_url the submission or byId gave, unchanged.")
        case .expired:
            throw APIError(.forbidden, "This stream URL has expired; byId hands out a fresh one.")
        }
        let store = endpoint.store
        return try await endpoint.respond(conversionId: conversionId) {
            guard let t = try await store.task(id: taskId), t.conversionIds.contains(conversionId) else { throw notFound }
            return t
        }
    }
}
