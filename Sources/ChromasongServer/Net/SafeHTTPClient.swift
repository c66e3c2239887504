// Fetching `image_url` and posting to `webhook_url` without becoming the attacker's proxy.
//
// Every hop: parse the URL (http/https only), resolve the host, refuse it if ANY address is outside the
// AddressPolicy, then connect to the checked address only: AsyncHTTPClient's `dnsOverride` maps the host name to
// that IP, so no second DNS lookup happens, while the Host header, TLS SNI and certificate checks still use the
// name. Redirects are followed by hand (at most `maxRedirectCount`), each new hop checked the same way. Bodies are
// streamed and counted; the transfer stops as soon as the limit is passed, so an endless body is never buffered.

import AsyncHTTPClient
import Foundation

/// Why a fetch or a webhook post was refused or failed. `field` names the request parameter (`image_url`,
/// `webhook_url`); `message` is one sentence that starts with it, fit for the contract's 422 error body.
public struct SafeFetchError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Kind: String, Sendable {
        case invalidURL, badScheme, refusedAddress, unresolvable, unreachable, timeout
        case tooManyRedirects, httpStatus, tooLarge
    }

    public let field: String
    public let kind: Kind
    /// The reason without the field name ("the host localhost resolves to 127.0.0.1, a loopback address; …").
    public let reason: String
    /// `"<field>: <reason>"`.
    public let message: String
    /// For `.tooLarge`: how many body bytes had arrived when the transfer was stopped.
    public let receivedByteCount: Int

    init(_ field: String, _ kind: Kind, _ reason: String, receivedByteCount: Int = 0) {
        self.field = field
        self.kind = kind
        self.reason = reason
        self.message = "\(field): \(reason)"
        self.receivedByteCount = receivedByteCount
    }

    /// The HTTP status the server answers with: 422 for every problem with a URL the client gave (contract §1,
    /// §6), 413 when the image behind `image_url` is over the size limit (the same rule as an uploaded file).
    public var httpStatus: Int { kind == .tooLarge ? 413 : 422 }
    public var description: String { message }
}

/// A fetched resource.
public struct FetchedResource: Sendable {
    /// The URL the body came from, after redirects.
    public let finalURL: String
    public let status: Int
    public let contentType: String?
    public let body: Data
    /// How many redirects were followed.
    public let redirectCount: Int
}

/// A webhook receiver's answer: its status line. The body is never read (issue 9, finding 6: a receiver that
/// answered 200 and then trickled its body was recorded as a failure and sent the webhook again).
public struct PostResult: Sendable {
    public let status: Int
}

/// The one outbound HTTP client of the server, for images and webhooks alike.
public struct SafeHTTPClient: Sendable {
    public struct Configuration: Sendable {
        /// Time allowed for a TCP (+TLS) connection to one address.
        public var connectTimeout: Duration = .seconds(5)
        /// Longest silence while reading.
        public var readTimeout: Duration = .seconds(10)
        /// Whole-fetch deadline, redirects included (contract §1: 10 s for `image_url`).
        public var totalTimeout: Duration = .seconds(10)
        /// Largest body accepted (contract §1: 20 MiB for images).
        public var maxBodySize: Int = 20 * 1024 * 1024
        /// Redirects followed before giving up.
        public var maxRedirectCount: Int = 5
        public var userAgent: String = "Chromasong"

        public init() {}
    }

    public let policy: AddressPolicy
    public let resolver: any HostResolver
    public let configuration: Configuration

    public init(policy: AddressPolicy, resolver: any HostResolver = SystemResolver(), configuration: Configuration = .init()) {
        self.policy = policy
        self.resolver = resolver
        self.configuration = configuration
    }

    // MARK: - Public operations

    /// GETs `url`, following up to `maxRedirectCount` redirects, and returns the body if it fits in `maxBodySize`.
    /// Errors are `SafeFetchError`s naming `field`.
    public func fetch(_ url: String, field: String = "image_url", accept: String = "image/*") async throws -> FetchedResource {
        let deadline = ContinuousClock.now + configuration.totalTimeout
        var current = try parse(url, field: field)
        var redirectCount = 0
        while true {
            let hop = try await checkedTarget(current, field: field)
            var request = HTTPClientRequest(url: current.absoluteString)
            request.method = .GET
            request.headers.add(name: "User-Agent", value: configuration.userAgent)
            request.headers.add(name: "Accept", value: accept)
            let outcome = try await withPinnedClient(hop) { client in
                try await self.getOnce(client, request, field: field, deadline: deadline)
            }
            switch outcome {
            case .body(let status, let contentType, let body):
                return FetchedResource(
                    finalURL: current.absoluteString, status: status, contentType: contentType, body: body,
                    redirectCount: redirectCount)
            case .redirect(let location):
                redirectCount += 1
                if redirectCount > configuration.maxRedirectCount {
                    throw SafeFetchError(field, .tooManyRedirects,
                        "more than \(configuration.maxRedirectCount) redirects; the last went to \(location)")
                }
                guard let next = URL(string: location, relativeTo: current)?.absoluteURL else {
                    throw SafeFetchError(field, .invalidURL, "a redirect pointed to an invalid URL (\(location))")
                }
                current = try parse(next.absoluteString, field: field, redirected: true)
            }
        }
    }

    /// POSTs `body` to `url` once (no redirects: a webhook must answer where it was registered). Returns the
    /// status as soon as the status line and headers arrive, whatever the status is; the answer's body is not
    /// read and the connection is closed, so a receiver that trickles its body neither delays the outcome nor
    /// keeps a connection open. Throws only when the URL is refused or no status line came before the deadline.
    public func post(
        _ url: String, body: [UInt8], headers: [(String, String)], field: String = "webhook_url"
    ) async throws -> PostResult {
        let deadline = ContinuousClock.now + configuration.totalTimeout
        let target = try parse(url, field: field)
        let hop = try await checkedTarget(target, field: field)
        var request = HTTPClientRequest(url: target.absoluteString)
        request.method = .POST
        request.headers.add(name: "User-Agent", value: configuration.userAgent)
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        request.body = .bytes(body)
        return try await withPinnedClient(hop) { client in
            let response = try await self.execute(client, request, field: field, deadline: deadline)
            return PostResult(status: Int(response.status.code))
        }
    }

    /// Checks a URL without contacting it: scheme, host and every resolved address. The server can call this
    /// at validation time (before a task is stored) for `webhook_url`; delivery checks again on every attempt.
    public func validate(_ url: String, field: String) async throws {
        _ = try await checkedTarget(try parse(url, field: field), field: field)
    }

    // MARK: - Steps

    struct Hop {
        let host: String
        /// The checked addresses the connection may go to, in the order tried (IPv4 first); empty when the URL's
        /// host is an address literal already.
        let pinnedAddresses: [IPAddress]
    }

    enum GetOutcome {
        case body(status: Int, contentType: String?, body: Data)
        case redirect(location: String)
    }

    func parse(_ text: String, field: String, redirected: Bool = false) throws -> URL {
        let via = redirected ? "a redirect went to " : ""
        guard let url = URL(string: text.trimmingCharacters(in: .whitespaces)), let scheme = url.scheme?.lowercased()
        else {
            throw SafeFetchError(field, .invalidURL, "\(via)\(text.prefix(200)) is not a valid URL")
        }
        guard scheme == "http" || scheme == "https" else {
            throw SafeFetchError(field, .badScheme, "\(via)the scheme \(scheme) is not allowed; use http or https")
        }
        guard let host = Self.host(of: url), !host.isEmpty else {
            throw SafeFetchError(field, .invalidURL, "\(via)\(text.prefix(200)) has no host")
        }
        return url
    }

    static func host(of url: URL) -> String? {
        guard var host = url.host else { return nil }
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return host.removingPercentEncoding ?? host
    }

    static func port(of url: URL) -> Int {
        url.port ?? (url.scheme?.lowercased() == "https" ? 443 : 80)
    }

    /// Resolves the URL's host and applies the policy to every address.
    func checkedTarget(_ url: URL, field: String) async throws -> Hop {
        let host = Self.host(of: url) ?? ""
        let port = Self.port(of: url)
        let addresses: [IPAddress]
        if let literal = IPAddress(host) {
            addresses = [literal]
        } else {
            do {
                addresses = try await resolver.resolve(host: host)
            } catch {
                throw SafeFetchError(field, .unresolvable, "the host \(host) could not be resolved")
            }
        }
        guard !addresses.isEmpty else {
            throw SafeFetchError(field, .unresolvable, "the host \(host) resolves to no address")
        }
        if !policy.isExempt(host: host, port: port) {
            for address in addresses where !policy.allows(address) {
                let category = AddressCategory(address).rawValue
                let named = IPAddress(host) == nil ? "the host \(host) resolves to \(address), " : "\(address) is "
                let article = "aeiou".contains(category.first ?? "x") ? "an" : "a"
                throw SafeFetchError(field, .refusedAddress,
                    "\(named)\(article) \(category) address; loopback, private, link-local and metadata addresses are refused")
            }
        }
        // IPv4 first when the name has both (many hosts and containers answer on IPv4 only); the others follow
        // when a connection is refused, since pinning gives up the client's own happy-eyeballs fallback.
        let ordered = addresses.filter(\.isIPv4) + addresses.filter { !$0.isIPv4 }
        return Hop(host: host, pinnedAddresses: IPAddress(host) == nil ? ordered : [])
    }

    /// Runs `body` with a client whose only connection target for the hop's host is a checked address: the
    /// first, then the next ones while the connection cannot be made (refused, unreachable).
    func withPinnedClient<T: Sendable>(_ hop: Hop, _ body: (HTTPClient) async throws -> T) async throws -> T {
        let candidates: [IPAddress?] = hop.pinnedAddresses.isEmpty ? [nil] : hop.pinnedAddresses
        for address in candidates.dropLast() {
            do {
                return try await withClient(pinnedTo: address, host: hop.host, body)
            } catch let error as SafeFetchError where error.kind == .unreachable {
                continue
            }
        }
        return try await withClient(pinnedTo: candidates[candidates.count - 1], host: hop.host, body)
    }

    private func withClient<T: Sendable>(pinnedTo address: IPAddress?, host: String,
                                         _ body: (HTTPClient) async throws -> T) async throws -> T {
        var config = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(connect: .init(configuration.connectTimeout), read: .init(configuration.readTimeout)))
        if let pinned = address {
            config.dnsOverride[host] = pinned.description
            config.dnsOverride[host.lowercased()] = pinned.description
        }
        config.decompression = .disabled
        let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: config)
        do {
            let result = try await body(client)
            try? await client.shutdown()
            return result
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    func execute(
        _ client: HTTPClient, _ request: HTTPClientRequest, field: String, deadline: ContinuousClock.Instant
    ) async throws -> HTTPClientResponse {
        let remaining = ContinuousClock.now.duration(to: deadline)
        guard remaining > .zero else {
            throw SafeFetchError(field, .timeout, "no answer within \(configuration.totalTimeout)")
        }
        do {
            return try await client.execute(request, timeout: .init(remaining))
        } catch let error as HTTPClientError {
            if error == .deadlineExceeded || error == .readTimeout || error == .connectTimeout {
                throw SafeFetchError(field, .timeout, "no answer within \(configuration.totalTimeout)")
            }
            throw SafeFetchError(field, .unreachable, "the server could not be reached (\(error))")
        } catch {
            throw SafeFetchError(field, .unreachable, "the server could not be reached (\(error))")
        }
    }

    func getOnce(
        _ client: HTTPClient, _ request: HTTPClientRequest, field: String, deadline: ContinuousClock.Instant
    ) async throws -> GetOutcome {
        let response = try await execute(client, request, field: field, deadline: deadline)
        let status = Int(response.status.code)
        if [301, 302, 303, 307, 308].contains(status) {
            guard let location = response.headers.first(name: "Location"), !location.isEmpty else {
                throw SafeFetchError(field, .httpStatus, "the server answered \(status) without a Location")
            }
            return .redirect(location: location)
        }
        guard (200..<300).contains(status) else {
            throw SafeFetchError(field, .httpStatus, "the server answered \(status) for \(request.url.prefix(200))")
        }
        let limit = configuration.maxBodySize
        let limitText = "\(limit / (1024 * 1024)) MiB"
        if let length = response.headers.first(name: "Content-Length").flatMap(Int.init), length > limit {
            throw SafeFetchError(field, .tooLarge, "the resource is \(length) bytes, over the \(limitText) limit")
        }
        let total = configuration.totalTimeout
        let timedOut = SafeFetchError(field, .timeout, "the download took longer than \(total)")
        let responseBody = response.body
        let body: Data
        do {
            // The deadline is a clock of its own, raced against the body: checking it only when a chunk arrived let
            // an origin sending a byte every 9 s run to 18 s (issue 9, finding 8). Cancelling the reader cancels
            // the request and closes the connection.
            body = try await withThrowingTaskGroup(of: Data?.self) { group in
                group.addTask {
                    var data = Data()
                    var received = 0
                    for try await chunk in responseBody {
                        received += chunk.readableBytes
                        if received > limit {
                            throw SafeFetchError(field, .tooLarge, "the resource is larger than the \(limitText) limit",
                                receivedByteCount: received)
                        }
                        data.append(contentsOf: chunk.readableBytesView)
                    }
                    return data
                }
                group.addTask {
                    try await Task.sleep(until: deadline, clock: .continuous)
                    return nil
                }
                defer { group.cancelAll() }
                guard let first = try await group.next(), let data = first else { throw timedOut }
                return data
            }
        } catch let error as SafeFetchError {
            throw error
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout {
            throw SafeFetchError(field, .timeout, "the download took longer than \(configuration.totalTimeout)")
        } catch {
            throw SafeFetchError(field, .unreachable, "the download broke off (\(error))")
        }
        return .body(status: status, contentType: response.headers.first(name: "Content-Type"), body: body)
    }
}
