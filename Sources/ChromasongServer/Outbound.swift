import AsyncHTTPClient
import Foundation
import Hummingbird
import SongEngine

/// Fetches an `image_url` at submission. The network-safety layer (Net/, address policy, redirects by hand)
/// supplies the production fetcher; `EngineImageFetcher` is the plain default.
public protocol ImageURLFetcher: Sendable {
    /// The image's bytes, at most 20 MiB; failures are `RequestError`s naming `image_url` (422, or 413 when too big).
    func fetchImage(_ url: String) async throws(RequestError) -> Data
}

/// Checks a `webhook_url` at submission (scheme, host, and in production the resolved address) before anything
/// is stored. Throws a `RequestError` naming `webhook_url`.
public protocol WebhookURLPolicy: Sendable {
    func checkWebhookURL(_ url: String) async throws(RequestError)
}

/// Sends one webhook POST. The dispatcher calls only this, so the safety layer can wrap the plain client with its
/// address policy (re-checked at delivery time: DNS may have changed since submission).
public protocol WebhookTransport: Sendable {
    /// POSTs `body` with `headers` to `url`; returns the HTTP status, or throws when no answer came.
    func post(url: String, headers: [(String, String)], body: Data, timeout: Double) async throws -> Int
}

/// The engine's own fetch (size limit and timeout, no address policy).
public struct EngineImageFetcher: ImageURLFetcher {
    public init() {}
    public func fetchImage(_ url: String) async throws(RequestError) -> Data {
        try await ImageLoader.bytes(of: .url(url))
    }
}

/// Scheme and host only. The address policy of Net/ replaces it in production.
public struct SchemeOnlyWebhookPolicy: WebhookURLPolicy {
    public init() {}
    public func checkWebhookURL(_ url: String) async throws(RequestError) {
        guard let u = URL(string: url), let scheme = u.scheme?.lowercased(), scheme == "http" || scheme == "https",
              let host = u.host, !host.isEmpty
        else { throw RequestError(field: "webhook_url", message: "must be an http(s) URL, got \"\(url.prefix(80))\"") }
    }
}

/// Plain AsyncHTTPClient transport: no redirects followed (a webhook answer is final). The status line is the
/// outcome; the answer's body is not read (dropping it closes the connection), so a receiver that trickles its body
/// cannot delay or fail a delivery it has accepted.
public struct HTTPClientWebhookTransport: WebhookTransport {
    let client: HTTPClient

    public init(client: HTTPClient = .shared) { self.client = client }

    public func post(url: String, headers: [(String, String)], body: Data, timeout: Double) async throws -> Int {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(bytes: body))
        let response = try await client.execute(request, timeout: .milliseconds(Int64(timeout * 1000)))
        return Int(response.status.code)
    }
}
