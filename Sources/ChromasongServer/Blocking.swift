import Dispatch

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
