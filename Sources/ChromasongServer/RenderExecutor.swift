import Foundation

/// Dedicated threads for renders. The engine's per-version work is long synchronous DSP; run on Swift's shared
/// cooperative pool (one thread per core) it would leave no thread for the HTTP handlers, so submissions and byId
/// would wait behind renders. Renders prefer this executor (`withTaskExecutorPreference`), and their child tasks
/// inherit it; the API keeps the cooperative pool.
final class RenderExecutor: TaskExecutor, @unchecked Sendable {
    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []
    private var stopped = false

    init(threads: Int) {
        for i in 0..<max(1, threads) {
            let thread = Thread { [self] in self.loop() }
            thread.name = "chromasong-render-\(i)"
            thread.start()
        }
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    /// Lets the threads end once the queue is empty.
    func shutdown() {
        condition.lock()
        stopped = true
        condition.broadcast()
        condition.unlock()
    }

    private func loop() {
        while true {
            condition.lock()
            while jobs.isEmpty && !stopped { condition.wait() }
            if jobs.isEmpty && stopped {
                condition.unlock()
                return
            }
            let job = jobs.removeFirst()
            condition.unlock()
            job.runSynchronously(on: asUnownedTaskExecutor())
        }
    }
}
