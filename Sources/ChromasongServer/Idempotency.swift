import Crypto
import Foundation
import Hummingbird
import SongEngine

/// The `Idempotency-Key` request header of submissions (after draft-ietf-httpapi-idempotency-key-header): the same
/// key from the same tenant within `window` seconds answers with the task it first made, without a new task; the
/// same key with a different request is 422 naming the header.
enum Idempotency {
    static let header = HeaderName("Idempotency-Key")!
    /// Set to "true" on an answer replayed for a repeated key.
    static let replayedHeader = HeaderName("Idempotent-Replayed")!
    static let window: Double = 24 * 3600
    static let maxLength = 255

    /// The header's value, nil when absent; 422 naming it when empty, too long or not printable ASCII.
    static func key(_ request: Request) throws -> String? {
        let values = request.headers[values: header]
        guard !values.isEmpty else { return nil }
        let problem = { (rule: String) in
            APIError([RequestError(field: "Idempotency-Key", message: rule)])
        }
        guard values.count == 1 else { throw problem("must be given once, got \(values.count) values") }
        let key = String(values[0]).trimmingCharacters(in: .whitespaces)
        guard !key.isEmpty, key.utf8.count <= maxLength,
              key.unicodeScalars.allSatisfy({ (0x20...0x7E).contains($0.value) })
        else { throw problem("must be 1...\(maxLength) printable ASCII characters (e.g. a UUID)") }
        return key
    }

    /// What makes two submissions "the same request": the validated request (every field, after parsing, so the
    /// multipart boundary or field order do not matter) and the SHA-256 of the uploaded image bytes (or the
    /// image_url, which is part of the request).
    static func fingerprint(_ request: TaskRequest, image: Data?) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var hasher = SHA256()
        hasher.update(data: (try? encoder.encode(request)) ?? Data())
        hasher.update(data: Data("\n".utf8))
        if let image { hasher.update(data: Data(SHA256.hash(data: image))) }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }

    static func conflict(taskId: String) -> APIError {
        APIError([RequestError(field: "Idempotency-Key",
                               message: "was already used within 24 h with a different request (task \(taskId)); send a new key for a new request")])
    }
}
