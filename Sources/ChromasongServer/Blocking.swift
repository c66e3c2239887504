import Dispatch
import Foundation
import Synchronization

/// Runs blocking work (image decoding, file writes) on a Dispatch queue instead of Swift's cooperative pool, whose
/// few threads (one per core) serve every HTTP handler: a long decode there would stall every other request.
enum Blocking {
    private static let queue = DispatchQueue(label: "chromasong.blocking", qos: .userInitiated, attributes: .concurrent)

    static func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result { try work() }) }
        }
    }
}

/// Admission for `image_to_song` in this process: the tasks waiting in the store plus the submissions being read
/// and checked right now must stay under the queue limit, or the request is refused before its body is parsed.
/// Under a burst against an empty queue, every request would otherwise see room, parse its body, and only then
/// meet the full queue at the insert. The insert's atomic check stays the rule; this is the cheap early estimate
/// (a burst of invalid requests may hold slots for the milliseconds they take to be refused).
final class SubmissionGate: Sendable {
    private let inFlight = Mutex(0)

    /// Takes a slot when `queued` waiting tasks plus those in flight leave room under `limit`.
    func reserve(queued: Int, limit: Int) -> Bool {
        inFlight.withLock { inFlight in
            guard queued + inFlight < limit else { return false }
            inFlight += 1
            return true
        }
    }

    func release() { inFlight.withLock { $0 -= 1 } }

    var count: Int { inFlight.withLock { $0 } }
}
