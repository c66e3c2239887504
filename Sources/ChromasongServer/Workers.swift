import Foundation
import Logging
import ServiceLifecycle
import SongEngine
import Synchronization

/// Measured render speed, for `eta`: wall seconds per second of audio per version, averaged over recent renders.
final class RenderSpeed: Sendable {
    private struct State {
        /// Starting guess before any render finished (a release build on one core renders ~10x real time per
        /// version; the guess is pessimistic on purpose).
        var secondsPerAudioSecond = 0.25
        var samples = 0
    }
    private let state = Mutex(State())

    /// Natural length of a song when the request gives no duration (contract: about 2.5 to 3.5 minutes).
    static let defaultDuration = 180.0

    func record(wallSeconds: Double, audioSeconds: Double) {
        guard audioSeconds > 0, wallSeconds > 0 else { return }
        let rate = wallSeconds / audioSeconds
        state.withLock { s in
            s.samples += 1
            // Mean of the first few, then an exponential average that follows the machine's load.
            let weight = max(0.2, 1 / Double(s.samples))
            s.secondsPerAudioSecond += weight * (rate - s.secondsPerAudioSecond)
        }
    }

    /// Seconds one task of this shape takes.
    func estimate(duration: Double?, versions: Int) -> Double {
        state.withLock { $0.secondsPerAudioSecond } * (duration ?? Self.defaultDuration) * Double(versions)
    }

    /// Seconds until a new task is done: the `ahead` tasks spread over the workers, then its own render.
    func eta(ahead: Int, workers: Int, duration: Double?, versions: Int) -> Int {
        let own = estimate(duration: duration, versions: versions)
        let waiting = Double(ahead) / Double(max(1, workers)) * estimate(duration: nil, versions: 2)
        return Int((waiting + own).rounded(.up))
    }
}

/// Tells the workers to stop claiming and, after the grace period, cancels the renders still running (they go
/// back to the queue).
final class ShutdownState: Sendable {
    private struct State {
        var stopping = false
        var running: [String: Task<AttemptOutcome, Never>] = [:]
        var timer: Task<Void, Never>?
    }
    private let state = Mutex(State())

    var isStopping: Bool { state.withLock { $0.stopping } }

    func begin(grace: Double) {
        let now = state.withLock { s -> Bool in
            guard !s.stopping else { return false }
            s.stopping = true
            // No grace: cancel right here, not from a task that a saturated pool might start too late.
            guard grace > 0 else { return true }
            s.timer = Task { [self] in
                try? await Task.sleep(for: .seconds(grace))
                cancelAll()
            }
            return false
        }
        if now { cancelAll() }
    }

    func cancelAll() {
        let tasks = state.withLock { Array($0.running.values) }
        for t in tasks { t.cancel() }
    }

    func register(_ id: String, _ task: Task<AttemptOutcome, Never>) { state.withLock { $0.running[id] = task } }
    func unregister(_ id: String) { _ = state.withLock { $0.running.removeValue(forKey: id) } }
    func end() { state.withLock { $0.timer?.cancel() } }
}

/// N workers, each claiming the oldest waiting task, rendering it with the engine, then recording the result and
/// its webhooks in one store transaction.
struct WorkerService: Service {
    let store: any TaskStore
    let engine: ChromasongEngine
    let configuration: ServerConfiguration
    let speed: RenderSpeed
    let payloads: Payloads
    let executor: RenderExecutor
    let logger: Logger
    /// See `ServerHooks.beforeRender`.
    var beforeRender: (@Sendable () async throws -> Void)? = nil
    /// See `ServerHooks.freeDiskBytes`.
    var freeDiskBytes: @Sendable (URL) -> Int64? = DiskSpace.freeBytes
    /// Set when a render failed for want of disk: workers do not claim before this time.
    let diskPause = DiskPause()
    /// How often an idle worker looks for work.
    var pollInterval: Duration = .milliseconds(200)
    /// Render seconds and outcomes for `/metrics`.
    var metrics: ServerMetrics? = nil
    /// Rung by this node's API when it queues a task, so an idle worker claims it at once instead of at its next
    /// poll (time to first audio, issue 14). Other nodes' submissions are found by the poll.
    var newWork: WorkSignal? = nil

    var resultsDirectory: URL { configuration.dataDirectory.appendingPathComponent("results") }

    func run() async throws {
        let state = ShutdownState()
        logger.info("workers started", metadata: ["workers": "\(configuration.workers)"])
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                for i in 0..<configuration.workers {
                    group.addTask { await loop(worker: i, state: state) }
                }
                // With no workers the service still lives until shutdown (a service that returns ends the group).
                if configuration.workers == 0 { group.addTask { try? await gracefulShutdown() } }
            }
        } onGracefulShutdown: {
            logger.info("shutting down: no new claims; running renders get \(configuration.shutdownGrace) s")
            state.begin(grace: configuration.shutdownGrace)
        }
        state.end()
        executor.shutdown()
        logger.info("workers stopped")
    }

    func loop(worker: Int, state: ShutdownState) async {
        while !state.isStopping && !Task.isCancelled {
            if let wait = diskPause.remaining(now: Date()), wait > 0 {
                try? await Task.sleep(for: .seconds(min(wait, 1)))
                continue
            }
            let claimed: StoredTask?
            let seen = newWork?.generation ?? 0
            do {
                claimed = try await store.claimNext(now: Date())
            } catch {
                logger.error("claim failed", metadata: ["error": "\(error)"])
                claimed = nil
            }
            guard let task = claimed else {
                if let newWork {
                    await newWork.wait(after: seen, timeout: pollInterval)
                } else {
                    try? await Task.sleep(for: pollInterval)
                }
                continue
            }
            await process(task, worker: worker, state: state)
        }
    }

    /// The configured way to render: in this process, or in a supervised `render-worker` child per render.
    var runner: any RenderRunner {
        switch configuration.renderWorker {
        case .inProcess:
            return InProcessRunner(engine: engine, executor: executor, fault: configuration.renderFault,
                                   previews: PreviewFiles(dataDirectory: configuration.dataDirectory))
        case .process(let executable):
            return ProcessRunner(
                executable: executable,
                presetsDirectory: configuration.presetsDirectory ?? StyleLibrary.defaultDirectory()?.deletingLastPathComponent(),
                limits: configuration.renderLimits, fault: configuration.renderFault,
                previews: PreviewFiles(dataDirectory: configuration.dataDirectory))
        }
    }

    func process(_ task: StoredTask, worker: Int, state: ShutdownState) async {
        var log = logger
        log[metadataKey: "task_id"] = "\(task.id)"
        log[metadataKey: "worker"] = "\(worker)"
        log.info("render started", metadata: [
            "attempt": "\(task.failureLog.count + 1)", "claim": "\(task.attempts)", "versions": "\(task.request.versions)",
        ])
        let destination = resultsDirectory.appendingPathComponent(task.id)
        let start = Date()
        let runner = self.runner
        let beforeRender = self.beforeRender
        let attemptLog = log
        let render = Task<AttemptOutcome, Never> {
            do {
                try await beforeRender?()
            } catch {
                // A test hook's error stands for the render's own (see `ServerHooks.beforeRender`).
                if error is CancellationError || Task.isCancelled { return .cancelled }
                if let e = error as? RequestError { return .rejected(e) }
                let full = DiskSpace.errorSaysFull(error)
                return .failed(AttemptFailure(full ? .diskFull : .internal), detail: "\(error)")
            }
            if Task.isCancelled { return .cancelled }
            return await runner.render(task, to: destination, logger: attemptLog)
        }
        state.register(task.id, render)
        // The claim's lease is renewed every third of its length while the render runs. When the store says the
        // claim is gone (the lease ran out while this node could not reach the store, and another node took the task
        // back), the render stops: its result could not be recorded.
        let renewal = Task {
            let every = max(0.02, store.leaseSeconds / 3)
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(every))
                if Task.isCancelled { return }
                do {
                    if try await !store.renewLease(taskId: task.id, attempt: task.attempts, now: Date()) {
                        attemptLog.warning("claim lost (lease ran out); render stopped")
                        render.cancel()
                        return
                    }
                } catch {
                    // Cancelled because the render ended meanwhile: nothing to report.
                    if Task.isCancelled { return }
                    attemptLog.error("renewing the claim failed", metadata: ["error": "\(error)"])
                }
            }
        }
        let outcome = await withTaskCancellationHandler {
            await render.value
        } onCancel: {
            render.cancel()
        }
        renewal.cancel()
        state.unregister(task.id)
        let seconds = Date().timeIntervalSince(start)
        switch outcome {
        case .completed: metrics?.render(seconds: seconds, outcome: "completed")
        case .cancelled: metrics?.render(seconds: seconds, outcome: "requeued")
        case .rejected: metrics?.render(seconds: seconds, outcome: "failed")
        case .failed: metrics?.render(seconds: seconds, outcome: "retried")
        }
        do {
            switch outcome {
            case .completed(let manifest):
                let wall = Date().timeIntervalSince(start)
                let audio = manifest.versions.reduce(0) { $0 + $1.duration }
                speed.record(wallSeconds: wall, audioSeconds: audio)
                let hooks = task.request.webhookURL.map { payloads.completionWebhooks(task, manifest: manifest, url: $0) } ?? []
                let recorded = try await store.complete(taskId: task.id, attempt: task.attempts, manifest: manifest,
                                                        webhooks: hooks, now: Date())
                log.info("render completed", metadata: [
                    "seconds": "\(String(format: "%.2f", wall))", "audio_seconds": "\(audio)",
                    "webhooks": "\(hooks.count)", "recorded": "\(recorded)",
                ])
            case .cancelled:
                try await store.requeue(taskId: task.id, attempt: task.attempts, now: Date())
                log.notice("render interrupted by shutdown; task back in the queue")
            case .rejected(let error):
                let reason = PublicMessage.scrub(error.description)
                try await finish(task, reason: reason, log: log)
            case .failed(var failure, let detail):
                // A write error while the volume is (nearly) full is the disk's fault, whatever errno said.
                if failure.kind == .internal && isDiskFull() { failure = AttemptFailure(.diskFull) }
                if failure.kind == .diskFull {
                    // Nothing can be written meanwhile: no claims for a while, for any task.
                    diskPause.pause(until: Date().addingTimeInterval(configuration.diskFullPause))
                }
                let failures = task.failureLog + [failure]
                let limits = configuration.renderLimits
                if AttemptFailure.attemptsUsedUp(failures, claims: task.attempts, maxAttempts: limits.maxAttempts) {
                    log.warning("render attempt failed; no attempt left", metadata: [
                        "failure": "\(failure.phrase)", "detail": "\(detail)", "attempts": "\(failures.count)",
                    ])
                    let reason = AttemptFailure.finalMessage(failures)
                    let hooks = task.request.webhookURL.map { payloads.failureWebhooks(task, reason: reason, url: $0) } ?? []
                    let recorded = try await store.failAttempts(taskId: task.id, attempt: task.attempts, failure: failure,
                                                                message: reason, webhooks: hooks, now: Date())
                    log.warning("render failed", metadata: ["reason": "\(reason)", "recorded": "\(recorded)"])
                } else {
                    let delay = limits.retry.delay(afterAttempt: failures.count)
                    let message = AttemptFailure.retryMessage(failure, attempt: failures.count, of: limits.maxAttempts,
                                                              after: delay)
                    let now = Date()
                    let recorded = try await store.retry(taskId: task.id, attempt: task.attempts, failure: failure,
                                                         message: message, notBefore: now.addingTimeInterval(delay), now: now)
                    log.warning("render attempt failed; task back in the queue", metadata: [
                        "failure": "\(failure.phrase)", "detail": "\(detail)", "attempt": "\(failures.count)",
                        "retry_in": "\(delay)", "recorded": "\(recorded)",
                    ])
                }
            }
        } catch {
            // The store refused the write: the task stays IN_PROGRESS until its lease runs out (or, with the embedded
            // store, the next start-up) and then goes back to the queue.
            log.error("recording the outcome failed", metadata: ["error": "\(error)"])
        }
    }

    /// FAILED for good, with one failure webhook per version.
    func finish(_ task: StoredTask, reason: String, log: Logger) async throws {
        let hooks = task.request.webhookURL.map { payloads.failureWebhooks(task, reason: reason, url: $0) } ?? []
        let recorded = try await store.fail(taskId: task.id, attempt: task.attempts, message: reason, webhooks: hooks,
                                            now: Date())
        log.warning("render failed", metadata: ["reason": "\(reason)", "recorded": "\(recorded)"])
    }

    /// Whether the data volume is (nearly) full now.
    func isDiskFull() -> Bool {
        guard let free = freeDiskBytes(configuration.dataDirectory) else { return false }
        return free < configuration.diskFullBytes
    }
}

/// The time before which workers do not claim (after a render failed for want of disk).
final class DiskPause: Sendable {
    private let until = Mutex<Date?>(nil)
    func pause(until date: Date) { until.withLock { $0 = max($0 ?? date, date) } }
    func remaining(now: Date) -> Double? { until.withLock { $0.map { $0.timeIntervalSince(now) } } }
}

/// Wakes idle workers when a task is queued in this process: `signal` after an enqueue, `wait` instead of the poll's
/// sleep. A signal between a worker's empty claim and its wait is not lost: the worker passes the generation it saw
/// before claiming, and a wait after a newer signal returns at once.
final class WorkSignal: Sendable {
    private struct State {
        var generation = 0
        var nextId = 0
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
        /// Waits whose timer fired before they registered.
        var expired: Set<Int> = []
    }
    private let state = Mutex(State())

    init() {}

    var generation: Int { state.withLock { $0.generation } }

    func signal() {
        let waiting = state.withLock { s -> [CheckedContinuation<Void, Never>] in
            s.generation += 1
            defer { s.waiters.removeAll() }
            return Array(s.waiters.values)
        }
        for w in waiting { w.resume() }
    }

    /// Returns at the first signal after generation `seen`, or after `timeout`.
    func wait(after seen: Int, timeout: Duration) async {
        let id = state.withLock { s -> Int in
            s.nextId += 1
            return s.nextId
        }
        let timer = Task {
            do { try await Task.sleep(for: timeout) } catch { return }
            self.expire(id)
        }
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let now = state.withLock { s -> Bool in
                if s.generation != seen || s.expired.contains(id) { return true }
                s.waiters[id] = c
                return false
            }
            if now { c.resume() }
        }
        timer.cancel()
        await timer.value
        state.withLock { _ = $0.expired.remove(id) }
    }

    private func expire(_ id: Int) {
        let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
            if let c = s.waiters.removeValue(forKey: id) { return c }
            s.expired.insert(id)
            return nil
        }
        waiter?.resume()
    }
}
