import Foundation
import Logging
import ServiceLifecycle
import SongEngine

/// Measured render speed, for `eta`: wall seconds per second of audio per version, averaged over recent renders.
final class RenderSpeed: @unchecked Sendable {
    private let lock = NSLock()
    /// Starting guess before any render finished (a release build on one core renders ~10x real time per version;
    /// the guess is pessimistic on purpose).
    private var secondsPerAudioSecond = 0.25
    private var samples = 0

    /// Natural length of a song when the request gives no duration (contract: about 2.5 to 3.5 minutes).
    static let defaultDuration = 180.0

    func record(wallSeconds: Double, audioSeconds: Double) {
        guard audioSeconds > 0, wallSeconds > 0 else { return }
        let rate = wallSeconds / audioSeconds
        lock.withLock {
            samples += 1
            // Mean of the first few, then an exponential average that follows the machine's load.
            let weight = max(0.2, 1 / Double(samples))
            secondsPerAudioSecond += weight * (rate - secondsPerAudioSecond)
        }
    }

    /// Seconds one task of this shape takes.
    func estimate(duration: Double?, versions: Int) -> Double {
        lock.withLock { secondsPerAudioSecond } * (duration ?? Self.defaultDuration) * Double(versions)
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
final class ShutdownState: @unchecked Sendable {
    private let lock = NSLock()
    private var stopping = false
    private var running: [String: Task<RenderResult, Error>] = [:]
    private var timer: Task<Void, Never>?

    var isStopping: Bool { lock.withLock { stopping } }

    func begin(grace: Double) {
        let now = lock.withLock { () -> Bool in
            guard !stopping else { return false }
            stopping = true
            // No grace: cancel right here, not from a task that a saturated pool might start too late.
            guard grace > 0 else { return true }
            timer = Task { [self] in
                try? await Task.sleep(for: .seconds(grace))
                cancelAll()
            }
            return false
        }
        if now { cancelAll() }
    }

    func cancelAll() {
        let tasks = lock.withLock { Array(running.values) }
        for t in tasks { t.cancel() }
    }

    func register(_ id: String, _ task: Task<RenderResult, Error>) { lock.withLock { running[id] = task } }
    func unregister(_ id: String) { _ = lock.withLock { running.removeValue(forKey: id) } }
    func end() { lock.withLock { timer?.cancel() } }
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
            do {
                claimed = try await store.claimNext(now: Date())
            } catch {
                logger.error("claim failed", metadata: ["error": "\(error)"])
                claimed = nil
            }
            guard let task = claimed else {
                try? await Task.sleep(for: pollInterval)
                continue
            }
            await process(task, worker: worker, state: state)
        }
    }

    func process(_ task: StoredTask, worker: Int, state: ShutdownState) async {
        var log = logger
        log[metadataKey: "task_id"] = "\(task.id)"
        log[metadataKey: "worker"] = "\(worker)"
        log.info("render started", metadata: ["attempt": "\(task.attempts)", "versions": "\(task.request.versions)"])
        let request = task.request.songRequest(imagePath: task.imagePath)
        let options = RenderOptions(taskId: task.id, conversionIds: task.conversionIds)
        let destination = resultsDirectory.appendingPathComponent(task.id)
        let start = Date()
        let engine = self.engine
        let executor = self.executor
        let beforeRender = self.beforeRender
        let render = Task<RenderResult, Error> {
            try await beforeRender?()
            return try await withTaskExecutorPreference(executor) {
                try await engine.render(request, to: destination, options: options)
            }
        }
        state.register(task.id, render)
        let outcome = await withTaskCancellationHandler {
            await render.result
        } onCancel: {
            render.cancel()
        }
        state.unregister(task.id)
        do {
            switch outcome {
            case .success(let result):
                let wall = Date().timeIntervalSince(start)
                let audio = result.manifest.versions.reduce(0) { $0 + $1.duration }
                speed.record(wallSeconds: wall, audioSeconds: audio)
                let hooks = task.request.webhookURL.map { payloads.completionWebhooks(task, manifest: result.manifest, url: $0) } ?? []
                let recorded = try await store.complete(taskId: task.id, attempt: task.attempts, manifest: result.manifest,
                                                        webhooks: hooks, now: Date())
                log.info("render completed", metadata: [
                    "seconds": "\(String(format: "%.2f", wall))", "audio_seconds": "\(audio)",
                    "webhooks": "\(hooks.count)", "recorded": "\(recorded)",
                ])
            case .failure(let error) where error is CancellationError || render.isCancelled:
                try await store.requeue(taskId: task.id, attempt: task.attempts, now: Date())
                log.notice("render interrupted by shutdown; task back in the queue")
            case .failure(let error) where isDiskFull():
                // Not the task's fault: back in the queue (the attempt counts), and no claims for a while.
                diskPause.pause(until: Date().addingTimeInterval(configuration.diskFullPause))
                if task.attempts < configuration.maxRenderAttempts {
                    let message = "waiting: the server's disk is full; the render will be tried again"
                    _ = try await store.retryLater(taskId: task.id, attempt: task.attempts, message: message, now: Date())
                    log.error("render failed: the server's disk is full; task back in the queue",
                              metadata: ["error": "\(error)", "attempt": "\(task.attempts)"])
                } else {
                    let reason = "the server's disk is full (tried \(task.attempts) times)"
                    let hooks = task.request.webhookURL.map { payloads.failureWebhooks(task, reason: reason, url: $0) } ?? []
                    let recorded = try await store.fail(taskId: task.id, attempt: task.attempts, message: reason,
                                                        webhooks: hooks, now: Date())
                    log.error("render failed: the server's disk is full", metadata: ["error": "\(error)", "recorded": "\(recorded)"])
                }
            case .failure(let error):
                // The user sees the rule a request broke, or that the server failed; never a server path (the
                // detail is in the log, with the task id).
                let reason = (error as? RequestError).map { publicReason($0.description) }
                    ?? "internal error while rendering (logged by the server)"
                let hooks = task.request.webhookURL.map { payloads.failureWebhooks(task, reason: reason, url: $0) } ?? []
                let recorded = try await store.fail(taskId: task.id, attempt: task.attempts, message: reason,
                                                    webhooks: hooks, now: Date())
                log.warning("render failed", metadata: ["reason": "\(reason)", "error": "\(error)", "recorded": "\(recorded)"])
            }
        } catch {
            // The store refused the write: leave the task IN_PROGRESS; the next start-up puts it back in the queue.
            log.error("recording the outcome failed", metadata: ["error": "\(error)"])
        }
    }

    /// Whether the data volume is (nearly) full now.
    func isDiskFull() -> Bool {
        guard let free = freeDiskBytes(configuration.dataDirectory) else { return false }
        return free < configuration.diskFullBytes
    }

    /// A request error's text with the server's own folders taken out (a stored upload's path, say).
    func publicReason(_ text: String) -> String {
        var out = text
        for dir in [configuration.dataDirectory.standardizedFileURL.path, configuration.dataDirectory.path] where !dir.isEmpty {
            out = out.replacingOccurrences(of: dir, with: "<data>")
        }
        return out
    }
}

/// Free space of a folder's volume.
enum DiskSpace {
    @Sendable static func freeBytes(_ url: URL) -> Int64? {
        guard let attributes = try? FileManager.default.attributesOfFileSystem(forPath: url.path),
              let free = attributes[.systemFreeSize] as? NSNumber else { return nil }
        return free.int64Value
    }
}

/// The time before which workers do not claim (after a render failed for want of disk).
final class DiskPause: @unchecked Sendable {
    private let lock = NSLock()
    private var until: Date?
    func pause(until date: Date) { lock.withLock { until = max(until ?? date, date) } }
    func remaining(now: Date) -> Double? { lock.withLock { until.map { $0.timeIntervalSince(now) } } }
}
