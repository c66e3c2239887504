import Foundation
import Logging
import SongEngine

/// What one attempt at a task came to.
enum AttemptOutcome: Sendable {
    case completed(Manifest)
    /// The request broke a rule: FAILED at once with the rule's message.
    case rejected(RequestError)
    /// Not the request's fault: costs one attempt (tried again after a backoff until the cap).
    case failed(AttemptFailure, detail: String)
    /// Shutdown cancelled it: the task goes back to the queue without costing an attempt.
    case cancelled
}

/// Renders one claimed task into `results/<task_id>`, in this process or in a supervised child.
protocol RenderRunner: Sendable {
    func render(_ task: StoredTask, to destination: URL, logger: Logger) async -> AttemptOutcome
}

/// Today's path: the engine on the server's render threads. A crash here is the server's crash; kept for
/// embedding and for tests that need no isolation.
struct InProcessRunner: RenderRunner {
    let engine: ChromasongEngine
    let executor: RenderExecutor
    let fault: (@Sendable (StoredTask) -> RenderFault?)?
    /// Where each version's preview stream goes while it renders (nil: no streams).
    var previews: PreviewFiles? = nil

    func render(_ task: StoredTask, to destination: URL, logger: Logger) async -> AttemptOutcome {
        let request = task.request.songRequest(imagePath: task.imagePath)
        var options = RenderOptions(taskId: task.id, conversionIds: task.conversionIds)
        let writer = previews?.writer(taskId: task.id, conversionIds: task.conversionIds, claim: task.attempts)
        defer { writer?.close() }
        if let writer { options.previews = { version, bytes in writer.write(version: version, bytes) } }
        let engine = self.engine
        do {
            if let fault = fault?(task), fault == .diskFull {
                // In process the filter would hold for the whole server: the same error the C writers give instead.
                throw CocoaError(.fileWriteOutOfSpace)
            }
            let result = try await withTaskExecutorPreference(executor) {
                try await engine.render(request, to: destination, options: options)
            }
            return .completed(result.manifest)
        } catch let error as RequestError {
            return .rejected(error)
        } catch {
            if error is CancellationError || Task.isCancelled { return .cancelled }
            let expected = DiskSpace.expectedOutputBytes(task.request, audioSeconds: task.request.duration ?? 600)
            if DiskSpace.renderMetFullDisk(error, resultsDirectory: destination.deletingLastPathComponent(),
                                           expectedBytes: expected) {
                return .failed(AttemptFailure(.diskFull), detail: "\(error)")
            }
            return .failed(AttemptFailure(.internal), detail: "\(error)")
        }
    }
}

/// Each render in its own `chromasong render-worker` process (see `RenderJob` for the protocol and
/// `RenderLimits` for the bounds).
struct ProcessRunner: RenderRunner {
    let executable: URL
    let presetsDirectory: URL?
    let limits: RenderLimits
    let fault: (@Sendable (StoredTask) -> RenderFault?)?
    /// Where the child writes each version's preview stream (nil: no streams).
    var previews: PreviewFiles? = nil

    /// The child's environment: the server's, without its secrets, with Swift's crash backtracer off unless the
    /// operator set it (a crash is reported by its signal; a backtrace per crash would flood the log).
    static func childEnvironment(_ env: [String: String] = ProcessInfo.processInfo.environment) -> [String: String] {
        var e = env
        for secret in ["CHROMASONG_API_KEYS", "CHROMASONG_WEBHOOK_SECRET"] { e.removeValue(forKey: secret) }
        if e["SWIFT_BACKTRACE"] == nil { e["SWIFT_BACKTRACE"] = "enable=no" }
        return e
    }

    func render(_ task: StoredTask, to destination: URL, logger: Logger) async -> AttemptOutcome {
        let versions = task.request.versions
        let job = RenderJob(taskId: task.id, conversionIds: task.conversionIds, request: task.request,
                            imagePath: task.imagePath, destination: destination.path,
                            presetsDirectory: presetsDirectory?.path, limits: limits, fault: fault?(task),
                            claim: task.attempts, streamsDirectory: previews?.directory.path)
        var line: Data
        do { line = try JSONEncoder().encode(job) } catch {
            return .failed(AttemptFailure(.internal), detail: "cannot encode the job: \(error)")
        }
        line.append(0x0A)
        let memory = limits.memoryLimitMiB(audioSeconds: nil, versions: versions)
        let process = WorkerProcess()
        let limits = self.limits
        let executable = self.executable.path
        let input = line
        let ending: WorkerProcess.Ending
        do {
            ending = try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<WorkerProcess.Ending, Error>) in
                    let thread = Thread {
                        do {
                            let ending = try process.run(
                                executable: executable, arguments: ["render-worker", "--memory-limit-mib", String(memory)],
                                environment: Self.childEnvironment(), stdin: input,
                                limit: { messages in
                                    let plan = messages.last { $0.type == .plan }
                                    return limits.timeLimit(audioSeconds: plan?.audioSeconds, versions: versions)
                                },
                                onMessage: { message in
                                    if message.type == .plan, let s = message.audioSeconds {
                                        logger.debug("render planned", metadata: [
                                            "audio_seconds": "\(String(format: "%.1f", s))",
                                            "time_limit": "\(Int(limits.timeLimit(audioSeconds: s, versions: versions)))",
                                            "memory_limit_mib": "\(limits.memoryLimitMiB(audioSeconds: s, versions: versions))",
                                        ])
                                    }
                                })
                            continuation.resume(returning: ending)
                        } catch {
                            continuation.resume(throwing: error)
                        }
                    }
                    thread.name = "chromasong-supervise-\(task.id.prefix(8))"
                    thread.start()
                }
            } onCancel: {
                process.cancel()
            }
        } catch {
            return .failed(AttemptFailure(.internal), detail: "\(error)")
        }
        defer { Self.removeStaging(of: destination) }
        return Self.outcome(ending, limits: limits, versions: versions, logger: logger)
    }

    /// A killed worker leaves its hidden staging folder (`.<task_id>.partial-*`) beside the destination.
    static func removeStaging(of destination: URL) {
        let parent = destination.deletingLastPathComponent()
        let prefix = ".\(destination.lastPathComponent).partial-"
        let fm = FileManager.default
        for name in (try? fm.contentsOfDirectory(atPath: parent.path)) ?? [] where name.hasPrefix(prefix) {
            try? fm.removeItem(at: parent.appendingPathComponent(name))
        }
    }

    /// Maps the child's ending to an outcome: its own report first, then the supervisor's kill, then the exit.
    static func outcome(_ e: WorkerProcess.Ending, limits: RenderLimits, versions: Int, logger: Logger) -> AttemptOutcome {
        let plan = e.messages.last { $0.type == .plan }
        let memory = limits.memoryLimitMiB(audioSeconds: plan?.audioSeconds, versions: versions)
        var detail = "\(e.termination), \(String(format: "%.1f", e.wallSeconds)) s, peak RSS \(e.maxRSSKiB >> 10) MiB"
        if !e.stderrTail.isEmpty { detail += "; stderr: " + e.stderrTail.suffix(2000) }
        if e.cancelled { return .cancelled }
        if e.timedOut { return .failed(AttemptFailure(.timedOut, value: e.timeLimit.rounded(.up)), detail: detail) }
        if e.termination == .exited(WorkerExit.success), let m = e.messages.last(where: { $0.type == .result })?.manifest {
            return .completed(m)
        }
        if e.termination == .exited(WorkerExit.reported), let f = e.messages.last(where: { $0.type == .failure }) {
            switch f.failure ?? .internal {
            case .request:
                return .rejected(RequestError(field: f.field ?? "request", message: f.message ?? "was refused",
                                              kind: f.tooLarge == true ? .tooLarge : .invalid))
            case .diskFull:
                return .failed(AttemptFailure(.diskFull), detail: detail)
            case .internal:
                return .failed(AttemptFailure(.internal), detail: (f.message ?? "") + "; " + detail)
            }
        }
        if ranOutOfMemory(e.stderrTail) {
            return .failed(AttemptFailure(.outOfMemory, value: Double(memory)), detail: detail)
        }
        switch e.termination {
        case .signaled(let signal):
            return .failed(AttemptFailure(.crashed, value: Double(signal)), detail: detail)
        case .exited(let status):
            return .failed(AttemptFailure(.exited, value: Double(status)), detail: detail)
        }
    }

    /// What an allocation refused by RLIMIT_DATA prints before the process aborts: the Swift runtime's fatal
    /// error, glibc's and C++'s words.
    static func ranOutOfMemory(_ stderr: String) -> Bool {
        let s = stderr.lowercased()
        return ["failed to allocate", "could not allocate memory", "cannot allocate memory", "out of memory",
                "bad_alloc"].contains { s.contains($0) }
    }
}
