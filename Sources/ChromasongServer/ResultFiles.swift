import Foundation
import Hummingbird

/// Serves finished results: `GET /files/<task_id>/<path>` with the right content type and single byte ranges
/// (`Range: bytes=a-b`, `a-`, `-n`; 206 with Content-Range, 416 when unsatisfiable), so audio players can seek.
/// Only committed render folders are reachable: names starting with "." (the engine's staging folders) and ".."
/// are refused, and the task must be COMPLETED with its files not yet deleted by retention.
/// Every URL must carry the signature byId and the webhooks hand out (`?expires=…&sig=…`, see `FileSigner`):
/// a missing, altered or expired one is 403 before anything is looked up, so a refusal says nothing about
/// whether the task exists.
struct ResultFiles<Context: RequestContext> {
    let store: any TaskStore
    let resultsDirectory: URL
    let signer: FileSigner
    var now: @Sendable () -> Date = { Date() }
    let fileIO = FileIO()

    static func contentType(_ ext: String) -> String {
        switch ext.lowercased() {
        case "mp3": "audio/mpeg"
        case "wav": "audio/wav"
        case "flac": "audio/flac"
        case "ogg": "audio/ogg"
        case "mid", "midi": "audio/midi"
        case "png": "image/png"
        case "jpg", "jpeg": "image/jpeg"
        case "json": "application/json"
        default: "application/octet-stream"
        }
    }

    func addRoutes(to router: Router<Context>) {
        router.get("files/:task/**", use: serve)
        router.head("files/:task/**", use: serve)
    }

    @Sendable func serve(_ request: Request, context: Context) async throws -> Response {
        let notFound = APIError(.notFound, "No such file.")
        guard let taskId = context.parameters.get("task") else { throw notFound }
        let rest = context.parameters.getCatchAll().map(String.init)
        guard !rest.isEmpty, ([taskId] + rest).allSatisfy({ !$0.isEmpty && !$0.hasPrefix(".") && !$0.contains("\\") })
        else { throw notFound }
        let q = request.uri.queryParameters
        switch signer.verify(taskId: taskId, path: rest.joined(separator: "/"), expires: q["expires"].map(String.init),
                             signature: q["sig"].map(String.init), now: now()) {
        case .valid: break
        case .missing:
            throw APIError(.forbidden, "This file URL has no signature; use the URL byId or the webhook gave (it carries expires and sig).")
        case .invalid:
            throw APIError(.forbidden, "This file URL's signature is not valid; use the URL byId or the webhook gave, unchanged.")
        case .expired:
            throw APIError(.forbidden, "This file URL has expired; byId hands out a fresh one.")
        }
        guard let task = try await store.task(id: taskId), task.status == .completed, task.filesExpiredAt == nil
        else { throw notFound }
        let url = resultsDirectory.appendingPathComponent(taskId).appendingPathComponent(rest.joined(separator: "/"))
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue,
              let size = (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? NSNumber)?.intValue
        else { throw notFound }
        var headers: HTTPFields = [
            .contentType: Self.contentType(url.pathExtension), .acceptRanges: "bytes",
            // The bytes never change, but the URL (its signature) expires: caches keep it no longer than that.
            .cacheControl: "private, max-age=\(max(0, (Int(q["expires"].map(String.init) ?? "") ?? 0) - Int(now().timeIntervalSince1970))), immutable",
        ]
        var status = HTTPResponse.Status.ok
        var range: ClosedRange<Int>? = size > 0 ? 0...(size - 1) : nil
        if let header = request.headers[.range], !header.contains(",") {  // several ranges: the whole file (RFC 9110 allows it)
            guard let r = Self.parseRange(header, size: size) else {
                var e = APIError(.rangeNotSatisfiable, "The requested range is not satisfiable (file size \(size) bytes).")
                e.headers[.contentRange] = "bytes */\(size)"
                throw e
            }
            range = r
            status = .partialContent
            headers[.contentRange] = "bytes \(r.lowerBound)-\(r.upperBound)/\(size)"
        }
        headers[.contentLength] = String(range?.count ?? 0)
        if request.method == .head || range == nil {
            return Response(status: status, headers: headers, body: .init())
        }
        let body = try await fileIO.loadFile(path: url.path, range: range!, context: context)
        return Response(status: status, headers: headers, body: body)
    }

    /// One range of `bytes=`; nil when malformed or outside the file.
    static func parseRange(_ header: String, size: Int) -> ClosedRange<Int>? {
        let h = header.trimmingCharacters(in: .whitespaces)
        guard h.lowercased().hasPrefix("bytes="), size > 0 else { return nil }
        let spec = h.dropFirst(6)
        let parts = spec.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2 else { return nil }
        let a = parts[0].trimmingCharacters(in: .whitespaces)
        let b = parts[1].trimmingCharacters(in: .whitespaces)
        if a.isEmpty {
            guard let n = Int(b), n > 0 else { return nil }
            return max(0, size - n)...(size - 1)
        }
        guard let start = Int(a), start >= 0, start < size else { return nil }
        if b.isEmpty { return start...(size - 1) }
        guard let end = Int(b), end >= start else { return nil }
        return start...min(end, size - 1)
    }
}
