// Which network addresses the server may talk to when it fetches `image_url` or posts to `webhook_url`.
//
// A request's URLs are an attacker's first tool (server-side request forgery): "fetch http://169.254.169.254/"
// reads cloud credentials, "fetch http://127.0.0.1:5432/" probes the host's own services. The policy is applied
// to every address a host name RESOLVES to (not to the text of the URL), on every redirect hop, and the
// connection is then pinned to the address that was checked (see SafeHTTPClient), so a DNS answer that changes
// between the check and the connect (DNS rebinding) cannot slip through.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Dispatch

/// An IPv4 or IPv6 address as raw bytes (network order).
public struct IPAddress: Hashable, Sendable, CustomStringConvertible {
    /// 4 bytes for IPv4, 16 for IPv6.
    public let bytes: [UInt8]

    public init?(bytes: [UInt8]) {
        guard bytes.count == 4 || bytes.count == 16 else { return nil }
        self.bytes = bytes
    }

    /// Parses the strict textual forms only ("127.0.0.1", "::1", "::ffff:10.0.0.1"), with or without brackets.
    /// Looser spellings ("127.1", "2130706433", "0x7f.0.0.1") are not literals here: they go through the resolver,
    /// which turns them into addresses the policy then checks.
    public init?(_ text: String) {
        var text = text
        if text.hasPrefix("[") && text.hasSuffix("]") { text = String(text.dropFirst().dropLast()) }
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            self.bytes = withUnsafeBytes(of: &v4) { Array($0) }
            return
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 {
            self.bytes = withUnsafeBytes(of: &v6) { Array($0) }
            return
        }
        return nil
    }

    public var isIPv4: Bool { bytes.count == 4 }

    public var description: String {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        let family = isIPv4 ? AF_INET : AF_INET6
        let ok = bytes.withUnsafeBytes { raw in
            inet_ntop(family, raw.baseAddress, &buffer, socklen_t(buffer.count)) != nil
        }
        guard ok else { return bytes.map { String($0) }.joined(separator: ".") }
        let end = buffer.firstIndex(of: 0) ?? buffer.count
        return String(decoding: buffer[..<end].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The IPv4 address carried inside an IPv6 one: IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible (::a.b.c.d),
    /// NAT64 (64:ff9b::a.b.c.d) and 6to4 (2002:AABB:CCDD::). Each of them reaches that IPv4 host.
    public var embeddedIPv4: IPAddress? {
        guard bytes.count == 16 else { return nil }
        let b = bytes
        if b[0..<10].allSatisfy({ $0 == 0 }) && b[10] == 0xff && b[11] == 0xff {
            return IPAddress(bytes: Array(b[12..<16]))
        }
        if b[0..<12].allSatisfy({ $0 == 0 }) && !(b[12] == 0 && b[13] == 0 && b[14] == 0 && b[15] <= 1) {
            return IPAddress(bytes: Array(b[12..<16]))  // IPv4-compatible (deprecated), not :: or ::1
        }
        if b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b && b[4..<12].allSatisfy({ $0 == 0 }) {
            return IPAddress(bytes: Array(b[12..<16]))
        }
        if b[0] == 0x20 && b[1] == 0x02 {
            return IPAddress(bytes: Array(b[2..<6]))
        }
        return nil
    }
}

/// What kind of network an address belongs to, as far as request forgery is concerned.
public enum AddressCategory: String, Sendable, CaseIterable {
    case global = "public"
    case loopback
    case privateNetwork = "private"
    case linkLocal = "link-local"
    case metadata = "cloud metadata"
    case unspecified
    case multicast
    case reserved

    /// Classifies an address. IPv6 forms that carry an IPv4 address are classified by that IPv4 address.
    public init(_ address: IPAddress) {
        let b = address.bytes
        if b.count == 4 {
            self = AddressCategory.classifyV4(b)
            return
        }
        // fd00:ec2::254, the AWS metadata service over IPv6.
        let awsMetadataV6: [UInt8] = [0xfd, 0x00, 0x0e, 0xc2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02, 0x54]
        if b == awsMetadataV6 { self = .metadata; return }
        if b.allSatisfy({ $0 == 0 }) { self = .unspecified; return }
        if b[0..<15].allSatisfy({ $0 == 0 }) && b[15] == 1 { self = .loopback; return }
        if let v4 = address.embeddedIPv4 { self = AddressCategory.classifyV4(v4.bytes); return }
        if b[0] == 0xff { self = .multicast; return }
        if b[0] == 0xfe && (b[1] & 0xc0) == 0x80 { self = .linkLocal; return }       // fe80::/10
        if b[0] == 0xfe && (b[1] & 0xc0) == 0xc0 { self = .privateNetwork; return }  // fec0::/10 site-local (old)
        if (b[0] & 0xfe) == 0xfc { self = .privateNetwork; return }                   // fc00::/7 unique local
        if b[0] == 0x01 && b[1..<8].allSatisfy({ $0 == 0 }) { self = .reserved; return }  // 100::/64 discard
        if b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8 { self = .reserved; return }  // documentation
        self = .global
    }

    private static func classifyV4(_ b: [UInt8]) -> AddressCategory {
        switch (b[0], b[1]) {
        case (169, 254) where b[2] == 169 && b[3] == 254: return .metadata
        case (100, 100) where b[2] == 100 && b[3] == 200: return .metadata  // Alibaba Cloud
        case (0, _): return .unspecified                   // 0.0.0.0/8 "this network"
        case (127, _): return .loopback
        case (10, _): return .privateNetwork
        case (172, 16...31): return .privateNetwork
        case (192, 168): return .privateNetwork
        case (100, 64...127): return .privateNetwork       // carrier-grade NAT, 100.64/10
        case (169, 254): return .linkLocal
        case (192, 0) where b[2] == 0: return .reserved    // IETF protocol assignments
        case (198, 18...19): return .reserved              // benchmarking
        case (224...239, _): return .multicast
        case (240...255, _): return .reserved              // incl. 255.255.255.255
        default: return .global
        }
    }
}

/// The rule: which address categories may be contacted.
public struct AddressPolicy: Sendable {
    /// Allow loopback, private (RFC 1918, CGNAT, unique-local) and link-local addresses. Off by default; the
    /// server's "allowed private networks" setting and tests with a local receiver turn it on. Cloud metadata,
    /// unspecified, multicast and reserved addresses stay refused even then: no image or webhook lives there.
    public var allowPrivateNetworks: Bool

    /// Origins ("host:port", lower-case, IPv6 hosts without brackets) that are allowed whatever they resolve to:
    /// a trusted internal receiver, or a test's local server. Redirects leaving such an origin are checked again.
    public var exemptOrigins: Set<String>

    public init(allowPrivateNetworks: Bool = false, exemptOrigins: Set<String> = []) {
        self.allowPrivateNetworks = allowPrivateNetworks
        self.exemptOrigins = exemptOrigins
    }

    /// Refuses loopback, private, link-local, metadata, unspecified, multicast and reserved addresses.
    public static let strict = AddressPolicy()

    /// Whether one address may be contacted.
    public func allows(_ address: IPAddress) -> Bool {
        switch AddressCategory(address) {
        case .global: return true
        case .loopback, .privateNetwork, .linkLocal: return allowPrivateNetworks
        case .metadata, .unspecified, .multicast, .reserved: return false
        }
    }

    /// Whether an origin is exempt from the address check.
    public func isExempt(host: String, port: Int) -> Bool {
        exemptOrigins.contains("\(host.lowercased()):\(port)")
    }
}

/// Turns a host name into addresses. The system resolver is the default; tests inject fixed answers
/// (e.g. a public-looking name that resolves to loopback).
public protocol HostResolver: Sendable {
    func resolve(host: String) async throws -> [IPAddress]
}

/// getaddrinfo(3) on a Dispatch queue, so the blocking call never holds a Swift concurrency thread.
/// It honours /etc/hosts (`localhost`) and the loose IPv4 spellings ("127.1", "2130706433").
public struct SystemResolver: HostResolver {
    public init() {}

    public func resolve(host: String) async throws -> [IPAddress] {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global(qos: .userInitiated).async {
                continuation.resume(with: Result { try SystemResolver.getaddrinfoBlocking(host) })
            }
        }
    }

    struct ResolutionFailure: Error, CustomStringConvertible {
        let host: String
        let reason: String
        var description: String { "the host \(host) could not be resolved (\(reason))" }
    }

    static func getaddrinfoBlocking(_ host: String) throws -> [IPAddress] {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        #if canImport(Glibc)
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        #else
        hints.ai_socktype = SOCK_STREAM
        #endif
        var result: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, nil, &hints, &result)
        guard status == 0, let first = result else {
            throw ResolutionFailure(host: host, reason: String(cString: gai_strerror(status)))
        }
        defer { freeaddrinfo(first) }
        var addresses: [IPAddress] = []
        var node: UnsafeMutablePointer<addrinfo>? = first
        while let current = node {
            if let sockaddr = current.pointee.ai_addr {
                switch current.pointee.ai_family {
                case AF_INET:
                    let bytes = sockaddr.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { sin in
                        withUnsafeBytes(of: sin.pointee.sin_addr) { Array($0) }
                    }
                    if let address = IPAddress(bytes: bytes) { addresses.append(address) }
                case AF_INET6:
                    let bytes = sockaddr.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { sin6 in
                        withUnsafeBytes(of: sin6.pointee.sin6_addr) { Array($0) }
                    }
                    if let address = IPAddress(bytes: bytes) { addresses.append(address) }
                default:
                    break
                }
            }
            node = current.pointee.ai_next
        }
        var seen = Set<IPAddress>()
        return addresses.filter { seen.insert($0).inserted }
    }
}
