// The server's three outbound hooks (Outbound.swift: ImageURLFetcher, WebhookURLPolicy, WebhookTransport), done
// with the address policy, and `ServerHooks.production(configuration:)`, which `chromasong serve` passes to
// `buildApplication` (with the Explorer at GET /).

import Foundation
import SongEngine

extension SafeFetchError {
    /// The engine's validation error for the API's error body: 422, or 413 for an image over the size limit.
    public var requestError: RequestError {
        RequestError(field: field, message: reason, kind: kind == .tooLarge ? .tooLarge : .invalid)
    }
}

/// Fetches `image_url`: 10 s for the whole fetch, 20 MiB streamed limit, at most 5 redirects, every hop's
/// addresses checked and the connection pinned to them.
public struct SafeImageFetcher: Sendable {
    public let client: SafeHTTPClient

    public init(client: SafeHTTPClient) { self.client = client }

    public init(allowPrivateNetworks: Bool) {
        self.init(client: SafeHTTPClient(policy: AddressPolicy(allowPrivateNetworks: allowPrivateNetworks)))
    }

    public func fetchImage(_ url: String) async throws(RequestError) -> Data {
        do {
            return try await client.fetch(url, field: "image_url").body
        } catch let error as SafeFetchError {
            throw error.requestError
        } catch {
            throw RequestError(field: "image_url", message: "could not be fetched (\(error))")
        }
    }
}

/// Checks `webhook_url` at submission: http(s), a host, and every address it resolves to.
public struct SafeWebhookURLPolicy: Sendable {
    public let client: SafeHTTPClient

    public init(client: SafeHTTPClient) { self.client = client }

    public init(allowPrivateNetworks: Bool) {
        self.init(client: SafeHTTPClient(policy: AddressPolicy(allowPrivateNetworks: allowPrivateNetworks)))
    }

    public func checkWebhookURL(_ url: String) async throws(RequestError) {
        do {
            try await client.validate(url, field: "webhook_url")
        } catch let error as SafeFetchError {
            throw error.requestError
        } catch {
            throw RequestError(field: "webhook_url", message: "could not be checked (\(error))")
        }
    }
}

/// Posts webhooks through the same policy, re-checked on every attempt (a name may resolve elsewhere by then).
/// A refused or unreachable receiver throws, which the dispatcher counts as a failed attempt and retries.
public struct SafeWebhookTransport: Sendable {
    public let policy: AddressPolicy
    public let resolver: any HostResolver

    public init(policy: AddressPolicy, resolver: any HostResolver = SystemResolver()) {
        self.policy = policy
        self.resolver = resolver
    }

    public init(allowPrivateNetworks: Bool) {
        self.init(policy: AddressPolicy(allowPrivateNetworks: allowPrivateNetworks))
    }

    public func post(url: String, headers: [(String, String)], body: Data, timeout: Double) async throws -> Int {
        var configuration = SafeHTTPClient.Configuration()
        let milliseconds = Int64(max(0.1, timeout) * 1000)
        configuration.totalTimeout = .milliseconds(milliseconds)
        configuration.readTimeout = .milliseconds(milliseconds)
        configuration.connectTimeout = .milliseconds(min(milliseconds, 5000))
        let client = SafeHTTPClient(policy: policy, resolver: resolver, configuration: configuration)
        return try await client.post(url, body: Array(body), headers: headers, field: "webhook_url").status
    }
}

extension SafeImageFetcher: ImageURLFetcher {}
extension SafeWebhookURLPolicy: WebhookURLPolicy {}
extension SafeWebhookTransport: WebhookTransport {}

extension ServerHooks {
    /// What a real server runs with: `image_url` and `webhook_url` through the address policy (private networks
    /// only when the configuration allows them), and the Endpoint Explorer at `GET /`.
    public static func production(configuration: ServerConfiguration) -> ServerHooks {
        let allow = configuration.allowPrivateNetworks
        return ServerHooks(
            imageFetcher: SafeImageFetcher(allowPrivateNetworks: allow),
            webhookPolicy: SafeWebhookURLPolicy(allowPrivateNetworks: allow),
            webhookTransport: SafeWebhookTransport(allowPrivateNetworks: allow),
            extraRoutes: { router in explorerRoutes(router: router) })
    }
}
