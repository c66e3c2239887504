import Foundation
import SongEngine
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The child side of process isolation: what `chromasong render-worker` runs (see `RenderJob` for the protocol).
public enum RenderWorkerChild {
    /// Runs one render job from stdin and returns the process exit status. Call it first thing in the process: it
    /// takes fd 1 for the protocol and points fd 1 at stderr.
    public static func run(memoryLimitMiB: Int) async -> Int32 {
        let channel = Channel.takeStdout()
        // No core files: a crashing render must not fill the disk with gigabytes of dump.
        setLimit(RLIMIT_CORE, 0)
        if memoryLimitMiB > 0 { setLimit(RLIMIT_DATA, UInt64(memoryLimitMiB) << 20) }

        guard let line = readLine(fd: 0, max: 4 << 20),
              let job = try? JSONDecoder().decode(RenderJob.self, from: line),
              job.protocolVersion == RenderJob.protocolVersion
        else {
            FileHandle.standardError.write(Data("render-worker: no valid job on stdin\n".utf8))
            return WorkerExit.badJob
        }
        watchParent()
        return await render(job, channel: channel)
    }

    static func render(_ job: RenderJob, channel: Channel) async -> Int32 {
        let request = job.request.songRequest(imagePath: job.imagePath)
        let destination = URL(fileURLWithPath: job.destination)
        var audioSeconds: Double?
        do {
            let engine = try ChromasongEngine(presetsDirectory: job.presetsDirectory.map { URL(fileURLWithPath: $0) })
            // The plan first (decode and analysis, tens of milliseconds): its length sets the time limit and tightens
            // the memory bound before the long work starts. The render plans again from the same bytes and seeds.
            let plan = try await engine.analyze(request).plan
            let seconds = plan.plannedSeconds
            audioSeconds = seconds
            channel.send(.plan(audioSeconds: seconds, versions: request.versions))
            let tightened = job.limits.memoryLimitMiB(audioSeconds: seconds, versions: request.versions)
            setLimit(RLIMIT_DATA, min(currentLimit(RLIMIT_DATA), UInt64(tightened) << 20))

            if let fault = job.fault { try TestFault.trigger(fault) }

            let stages = StageFilter()
            var options = RenderOptions(taskId: job.taskId, conversionIds: job.conversionIds)
            let writer = job.streamsDirectory.map {
                PreviewFiles(directory: URL(fileURLWithPath: $0))
                    .writer(taskId: job.taskId, conversionIds: job.conversionIds, claim: job.claim ?? 0)
            }
            defer { writer?.close() }
            if let writer { options.previews = { version, bytes in writer.write(version: version, bytes) } }
            let result = try await engine.render(request, to: destination, options: options) { progress in
                if stages.isNew(progress.stage) { channel.send(.progress(progress.stage, progress.fraction)) }
            }
            channel.send(.result(result.manifest))
            return WorkerExit.success
        } catch let error as RequestError {
            channel.send(.failure(.request, field: error.field, message: error.message, tooLarge: error.kind == .tooLarge))
        } catch {
            let results = destination.deletingLastPathComponent()
            let expected = DiskSpace.expectedOutputBytes(job.request, audioSeconds: audioSeconds ?? job.limits.maxSongSeconds)
            FileHandle.standardError.write(Data("render-worker: \(error)\n".utf8))
            if DiskSpace.renderMetFullDisk(error, resultsDirectory: results, expectedBytes: expected) {
                channel.send(.failure(.diskFull, message: "the server's disk is full"))
            } else {
                channel.send(.failure(.internal, message: String(describing: error)))
            }
        }
        return WorkerExit.reported
    }

    /// The protocol channel: a private copy of the original stdout.
    final class Channel: Sendable {
        /// Whole lines only: one writer at a time.
        private let writing = Mutex(())
        private let fd: Int32

        init(fd: Int32) { self.fd = fd }

        /// Keeps fd 1 (the pipe to the server) as a new descriptor and points fd 1 at stderr, so a library that
        /// prints cannot corrupt the channel.
        static func takeStdout() -> Channel {
            let copy = fcntl(1, F_DUPFD_CLOEXEC, 3)
            dup2(2, 1)
            return Channel(fd: copy >= 0 ? copy : 1)
        }

        func send(_ message: WorkerMessage) {
            let data = message.line()
            writing.withLock { _ in WorkerProcess.writeAll(fd, data) }
        }
    }

    /// Reports each stage once (progress is called many times per stage).
    final class StageFilter: Sendable {
        private let seen = Mutex<Set<String>>([])
        func isNew(_ stage: String) -> Bool { seen.withLock { $0.insert(stage).inserted } }
    }

    /// Reads up to the first newline (the job), byte by byte so that nothing after it is consumed.
    static func readLine(fd: Int32, max: Int) -> Data? {
        var data = Data()
        var byte: UInt8 = 0
        while data.count < max {
            let n = read(fd, &byte, 1)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return data.isEmpty ? nil : data }
            if byte == 0x0A { return data }
            data.append(byte)
        }
        return nil
    }

    /// The server keeps our stdin open while it lives: end of file there means it is gone (killed, crashed), and a
    /// render nobody will record must not go on using the machine.
    static func watchParent() {
        let thread = Thread {
            var buffer = [UInt8](repeating: 0, count: 256)
            while true {
                let n = read(0, &buffer, buffer.count)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { _exit(WorkerExit.orphaned) }
            }
        }
        thread.name = "render-worker-parent-watch"
        thread.start()
    }

    #if canImport(Glibc)
    typealias Resource = __rlimit_resource
    static func setLimit(_ resource: Resource, _ value: UInt64) {
        var limit = rlimit(rlim_cur: rlim_t(value), rlim_max: rlim_t(value))
        _ = setrlimit(__rlimit_resource_t(resource.rawValue), &limit)
    }

    static func currentLimit(_ resource: Resource) -> UInt64 {
        var limit = rlimit()
        _ = getrlimit(__rlimit_resource_t(resource.rawValue), &limit)
        return UInt64(limit.rlim_cur)
    }
    #else
    static func setLimit(_ resource: Int32, _ value: UInt64) {
        var limit = rlimit(rlim_cur: rlim_t(value), rlim_max: rlim_t(value))
        _ = setrlimit(resource, &limit)
    }

    static func currentLimit(_ resource: Int32) -> UInt64 {
        var limit = rlimit()
        _ = getrlimit(resource, &limit)
        return UInt64(limit.rlim_cur)
    }
    #endif
}
