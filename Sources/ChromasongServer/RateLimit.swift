import Foundation
import Hummingbird
import SongEngine
import Synchronization

/// One token-bucket policy: `perMinute` requests a minute on average, at most `burst` at once.
public struct RatePolicy: Sendable, Hashable {
    public var perMinute: Double
    public var burst: Int

    public init(perMinute: Double, burst: Int) {
        self.perMinute = perMinute
        self.burst = burst
    }

    /// 0 requests a minute = no limit.
    public var isUnlimited: Bool { perMinute <= 0 }
}

/// Token buckets per (policy, tenant), in memory (per process: a fleet behind a balancer multiplies the limit by
/// its size). A bucket holds up to `burst` tokens and gains `perMinute / 60` a second; a request takes one.
/// Buckets exist only for tenants that passed the key check, so their number is bounded by the configured keys.
final class RateLimiter: Sendable {
    struct Decision: Equatable {
        var allowed: Bool
        /// Whole requests left right now (after this one when allowed).
        var remaining: Int
        /// Seconds until the bucket is full again (the draft's `t` of the RateLimit field).
        var reset: Int
        /// Seconds until one request is allowed (Retry-After), when refused.
        var retryAfter: Int
    }

    private struct Bucket {
        var tokens: Double
        var at: Date
    }

    private let buckets = Mutex<[String: Bucket]>([:])

    func take(_ policy: RatePolicy, name: String, tenant: String, now: Date = Date()) -> Decision {
        let capacity = Double(max(1, policy.burst))
        // Seconds for `tokens` tokens to come back (written as * 60 / rate, exact for whole numbers).
        let seconds = { (tokens: Double) in Int((tokens * 60 / policy.perMinute - 1e-9).rounded(.up)) }
        return buckets.withLock { buckets in
            let id = "\(name)|\(tenant)"
            var b = buckets[id] ?? Bucket(tokens: capacity, at: now)
            b.tokens = min(capacity, b.tokens + max(0, now.timeIntervalSince(b.at)) * policy.perMinute / 60)
            b.at = now
            let allowed = b.tokens >= 1 - 1e-9
            if allowed { b.tokens = max(0, b.tokens - 1) }
            buckets[id] = b
            let reset = max(0, seconds(capacity - b.tokens))
            let retry = allowed ? 0 : max(1, seconds(1 - b.tokens))
            return Decision(allowed: allowed, remaining: Int((b.tokens + 1e-9).rounded(.down)), reset: reset, retryAfter: retry)
        }
    }
}

/// Per-key rate limits on the API (draft-ietf-httpapi-ratelimit-headers): `submit` for POST image_to_song, `read`
/// for everything else under /api/public/v1. Every answer carries
/// `RateLimit-Policy: "<name>";q=<burst>;w=<seconds to refill it>` and `RateLimit: "<name>";r=<left>;t=<seconds>`;
/// over the limit the answer is 429 with `Retry-After`. Runs after `APIKeyMiddleware` (a bad key never gets a
/// bucket) and before the submission's admission check and body read.
struct RateLimitMiddleware<Context: RequestContext>: RouterMiddleware {
    let limiter: RateLimiter
    let submit: RatePolicy
    let read: RatePolicy
    let keysConfigured: Bool

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        let isSubmit = request.method == .post && request.uri.path.hasSuffix("/image_to_song")
        let (name, policy) = isSubmit ? ("submit", submit) : ("read", read)
        guard !policy.isUnlimited else { return try await next(request, context) }
        let tenant = Tenant.of(request, keysConfigured: keysConfigured)
        let d = limiter.take(policy, name: name, tenant: tenant)
        let headers = Self.headers(name: name, policy: policy, decision: d)
        guard d.allowed else {
            // A refused upload is drained unparsed (bounded by the upload limit), as the queue-full 429 is, so the
            // client reads the answer instead of a connection reset.
            if isSubmit {
                try? await RawSubmission.discard(request.body, limit: ImageLoader.maxBytes + RawSubmission.multipartOverhead)
            }
            let what = isSubmit ? "submissions" : "requests"
            var e = APIError(.tooManyRequests,
                             "Rate limit exceeded: at most \(policy.burst) \(what) at once and \(Self.number(policy.perMinute)) a minute per API key; try again in \(d.retryAfter) s.")
            e.headers = headers
            e.headers[.retryAfter] = String(d.retryAfter)
            throw e
        }
        do {
            var response = try await next(request, context)
            for field in headers { response.headers[field.name] = field.value }
            return response
        } catch var e as APIError {
            for field in headers where e.headers[field.name] == nil { e.headers[field.name] = field.value }
            throw e
        }
    }

    static var policyField: HeaderName { RateLimitHeaders.policy }
    static var stateField: HeaderName { RateLimitHeaders.state }

    static func headers(name: String, policy: RatePolicy, decision d: RateLimiter.Decision) -> HTTPFields {
        // The window is the time an empty bucket takes to refill: q requests per w seconds on average.
        let window = Int((Double(max(1, policy.burst)) * 60 / policy.perMinute - 1e-9).rounded(.up))
        return [
            policyField: "\"\(name)\";q=\(max(1, policy.burst));w=\(max(1, window))",
            stateField: "\"\(name)\";r=\(d.remaining);t=\(d.reset)",
        ]
    }

    static func number(_ v: Double) -> String { v == v.rounded() ? String(Int(v)) : String(format: "%.2f", v) }
}

enum RateLimitHeaders {
    static let policy = HeaderName("RateLimit-Policy")!
    static let state = HeaderName("RateLimit")!
}
