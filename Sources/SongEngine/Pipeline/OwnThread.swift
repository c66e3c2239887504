import Foundation
import Synchronization

/// Runs blocking work on a thread of its own, outside Swift's cooperative pool.
///
/// A version's render is seconds of synchronous DSP. Run as an ordinary child task it holds a thread of the
/// cooperative pool for all that time, and the pool has only as many threads as the machine has cores: on a 2-core
/// machine two versions rendering side by side hold every thread, and timers, sockets and every other task of the
/// process wait for them (a 2 s download deadline measured 6.4 s in a test run beside renders). `Engine.render`
/// therefore gives each version a thread of its own (issue 10) and awaits it; the calling task's cancellation is
/// passed on through `Cancellation`, which the work checks between its stages.
enum OwnThread {
    /// Set when the awaiting task is cancelled; the work calls `check()` where it may stop.
    final class Cancellation: Sendable {
        private let cancelled = Atomic(false)

        func cancel() { cancelled.store(true, ordering: .releasing) }

        var isCancelled: Bool { cancelled.load(ordering: .acquiring) }

        /// Throws `CancellationError` once the awaiting task has been cancelled.
        func check() throws {
            if isCancelled { throw CancellationError() }
        }
    }

    /// The stack of the thread: as large as a pool thread's on Linux (8 MiB), so deep DSP call chains behave alike.
    static let stackSize = 8 << 20

    static func run<T: Sendable>(_ body: @escaping @Sendable (Cancellation) throws -> T) async throws -> T {
        let cancellation = Cancellation()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
                let thread = Thread {
                    continuation.resume(with: Result { try body(cancellation) })
                }
                thread.stackSize = stackSize
                thread.start()
            }
        } onCancel: {
            cancellation.cancel()
        }
    }
}
