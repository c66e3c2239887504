import Crypto
import Foundation
import Hummingbird
import SongEngine

/// A header name (HTTPTypes' `HTTPField.Name`, which Hummingbird does not re-export by name).
typealias HeaderName = HTTPFields.Element.Name

/// Who owns a task: the SHA-256 (hex) of the API key that submitted it, never the key itself; with no key
/// configured (loopback-only mode) every request is the single anonymous tenant.
enum Tenant {
    /// The owner of every task when the server has no keys (and of tasks stored before owners were recorded).
    static let anonymous = "anonymous"

    /// The key given in `Authorization: <key>` or `Authorization: Bearer <key>`, trimmed; nil when absent.
    static func presentedKey(_ request: Request) -> String? {
        guard var given = request.headers[.authorization]?.trimmingCharacters(in: .whitespaces), !given.isEmpty
        else { return nil }
        if given.lowercased().hasPrefix("bearer ") { given = given.dropFirst(7).trimmingCharacters(in: .whitespaces) }
        return given
    }

    static func hash(_ key: String) -> String {
        SHA256.hash(data: Data(key.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// The tenant of a request that passed `APIKeyMiddleware`.
    static func of(_ request: Request, keysConfigured: Bool) -> String {
        guard keysConfigured, let key = presentedKey(request) else { return anonymous }
        return hash(key)
    }
}

/// Signs result-file URLs: `/files/<task_id>/<path>?expires=<unix seconds>&sig=<base64url HMAC-SHA256 of
/// "<task_id>/<path>\n<expires>">`. Whoever holds a URL may fetch that one file until it expires (an `<audio>`
/// element cannot send a key); nobody can make a URL for another file or a later expiry without the secret.
struct FileSigner: Sendable {
    let secret: Data

    init(secret: Data) { self.secret = secret }

    var key: SymmetricKey { SymmetricKey(data: secret) }

    func signature(taskId: String, path: String, expires: Int) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Data("\(taskId)/\(path)\n\(expires)".utf8), using: key)
        return Self.base64url(Data(mac))
    }

    /// The query string (without "?") of a URL valid until `expires`.
    func query(taskId: String, path: String, expires: Int) -> String {
        "expires=\(expires)&sig=\(signature(taskId: taskId, path: path, expires: expires))"
    }

    enum Verdict: Equatable { case valid, missing, invalid, expired }

    func verify(taskId: String, path: String, expires: String?, signature: String?, now: Date) -> Verdict {
        guard let expires, let signature, !expires.isEmpty, !signature.isEmpty else { return .missing }
        guard let e = Int(expires), expires.allSatisfy(\.isASCII), let given = Self.base64urlDecode(signature) else {
            return .invalid
        }
        let data = Data("\(taskId)/\(path)\n\(e)".utf8)
        // Constant-time comparison (swift-crypto's MAC check).
        guard HMAC<SHA256>.isValidAuthenticationCode(given, authenticating: data, using: key) else { return .invalid }
        return Double(e) < now.timeIntervalSince1970 ? .expired : .valid
    }

    static func base64url(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func base64urlDecode(_ text: String) -> Data? {
        guard text.count <= 128, text.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") })
        else { return nil }
        var s = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while s.count % 4 != 0 { s += "=" }
        return Data(base64Encoded: s)
    }

    /// The signing secret: the configured one, else `<data>/file-signing.key` (32 random bytes, hex), created at
    /// the first start with mode 0600 so URLs handed out survive restarts.
    static func loadSecret(configured: String?, dataDirectory: URL) throws -> Data {
        if let configured, !configured.isEmpty { return Data(configured.utf8) }
        let file = dataDirectory.appendingPathComponent("file-signing.key")
        let fm = FileManager.default
        if let text = try? String(contentsOf: file, encoding: .utf8) {
            let hex = text.trimmingCharacters(in: .whitespacesAndNewlines)
            if hex.count >= 32, let bytes = Self.hexBytes(hex) { return bytes }
            throw ConfigurationError("\(file.path) must hold the hex file-signing secret (delete it to make a new one)")
        }
        let secret = SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }
        let hex = secret.map { String(format: "%02x", $0) }.joined() + "\n"
        // Created with 0600 from the start (no window where another user could read it), then renamed in place.
        let staging = dataDirectory.appendingPathComponent(".file-signing.key.\(UUID().uuidString.prefix(8))")
        guard fm.createFile(atPath: staging.path, contents: Data(hex.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw ConfigurationError("cannot write the file-signing secret to \(file.path)")
        }
        // link, not rename: on a shared data directory two nodes may start at once; the first key written wins and
        // the other node reads it, so every node signs with the same key (issue 13).
        let linked = link(staging.path, file.path) == 0
        let linkError = errno
        try? fm.removeItem(at: staging)
        if !linked {
            guard linkError == EEXIST else {
                throw ConfigurationError("cannot write the file-signing secret to \(file.path)")
            }
            return try loadSecret(configured: nil, dataDirectory: dataDirectory)
        }
        return secret
    }

    static func hexBytes(_ hex: String) -> Data? {
        guard hex.count % 2 == 0 else { return nil }
        var out = Data(capacity: hex.count / 2)
        var i = hex.startIndex
        while i < hex.endIndex {
            let j = hex.index(i, offsetBy: 2)
            guard let b = UInt8(hex[i..<j], radix: 16) else { return nil }
            out.append(b)
            i = j
        }
        return out
    }
}
