import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// Deletes the upload and the results of every task finished more than `retention` seconds ago, keeping its row
/// (status, metadata, disk use) with `files_expired_at` set; measures the results of finished tasks nobody asked
/// about; forgets Idempotency-Keys older than their window. Runs every `interval` seconds as a service beside the
/// workers; each sweep that did something logs one line with the bytes freed and the bytes still stored.
struct Retention: Sendable {
    let store: any TaskStore
    let dataDirectory: URL
    /// Seconds after a task finished when its files go; 0 keeps them forever.
    let retention: Double
    let logger: Logger
    /// Orphan uploads are looked for among files modified after this (each file is looked up once).
    let orphanWatermark = OrphanWatermark()
    /// An upload younger than this may belong to a submission in flight (its row not yet written).
    static let orphanAge: Double = 3600

    var uploadsDirectory: URL { dataDirectory.appendingPathComponent("uploads") }
    var resultsDirectory: URL { dataDirectory.appendingPathComponent("results") }

    struct Sweep: Sendable, Equatable {
        var expiredTasks = 0
        var bytesFreed = 0
        var keysForgotten = 0
        var storedTasks = 0
        var storedBytes = 0
        var orphanUploads = 0
        /// Preview stream files deleted (`PreviewFiles`: temporary, kept `PreviewFiles.lifetime` after their last
        /// write whatever `retention` says; not counted in `bytesFreed`, which is the tasks' stored results).
        var streamFiles = 0
    }

    /// One pass at `now`.
    @discardableResult
    func sweep(now: Date = Date()) async throws -> Sweep {
        var out = Sweep()
        out.keysForgotten = try await store.purgeIdempotencyKeys(before: now.addingTimeInterval(-Idempotency.window))
        if retention > 0 {
            while true {
                let due = try await store.tasksWithExpiredFiles(finishedBefore: now.addingTimeInterval(-retention), limit: 100)
                if due.isEmpty { break }
                for task in due {
                    let upload = URL(fileURLWithPath: task.imagePath)
                    let results = resultsDirectory.appendingPathComponent(task.id)
                    let (uploadBytes, resultBytes) = try await Blocking.run {
                        let sizes = (Self.fileBytes(upload), Self.directoryBytes(results))
                        let fm = FileManager.default
                        for url in [upload, results] where fm.fileExists(atPath: url.path) {
                            try fm.removeItem(at: url)
                        }
                        return sizes
                    }
                    let freed = uploadBytes + resultBytes
                    // Sizes measured before the deletion stay on the row (what the task cost while kept).
                    if task.resultBytes == nil { try await store.recordResultBytes(taskId: task.id, bytes: resultBytes) }
                    try await store.markFilesExpired(taskId: task.id, at: now)
                    out.expiredTasks += 1
                    out.bytesFreed += freed
                    var log = logger
                    log[metadataKey: "task_id"] = "\(task.id)"
                    log.info("retention: files deleted", metadata: ["bytes": "\(freed)"])
                }
            }
        }
        let streams = PreviewFiles(dataDirectory: dataDirectory)
        out.streamFiles = try await Blocking.run { streams.sweep(now: now).files }
        let orphans = try await sweepOrphanUploads(now: now)
        out.orphanUploads = orphans.files
        out.bytesFreed += orphans.bytes
        (out.storedTasks, out.storedBytes) = try await store.storageTotals()
        if out.expiredTasks > 0 || out.keysForgotten > 0 || out.orphanUploads > 0 || out.streamFiles > 0 {
            logger.notice("retention sweep", metadata: [
                "tasks_expired": "\(out.expiredTasks)", "bytes_freed": "\(out.bytesFreed)",
                "idempotency_keys_forgotten": "\(out.keysForgotten)", "orphan_uploads": "\(out.orphanUploads)",
                "stream_files": "\(out.streamFiles)",
                "tasks_stored": "\(out.storedTasks)",
                "bytes_stored": "\(out.storedBytes)",
            ])
        }
        return out
    }

    /// Uploads no task names: a node died after writing the file and before its task row (or mid-write, leaving
    /// the atomic write's temporary file). Removed once `orphanAge` old; each file is looked up once, by the
    /// watermark of modification times already seen.
    func sweepOrphanUploads(now: Date) async throws -> (files: Int, bytes: Int) {
        let cutoff = now.addingTimeInterval(-Self.orphanAge)
        let since = orphanWatermark.value
        let directory = uploadsDirectory
        let candidates = try await Blocking.run { () -> [(URL, Date, Int)] in
            let fm = FileManager.default
            var out: [(URL, Date, Int)] = []
            for name in (try? fm.contentsOfDirectory(atPath: directory.path)) ?? [] {
                let url = directory.appendingPathComponent(name)
                guard let attributes = try? fm.attributesOfItem(atPath: url.path),
                      let modified = attributes[.modificationDate] as? Date, modified < cutoff, modified >= since
                else { continue }
                out.append((url, modified, (attributes[.size] as? NSNumber)?.intValue ?? 0))
            }
            return out
        }
        var files = 0, bytes = 0
        for (url, _, size) in candidates {
            let name = url.lastPathComponent
            if name.hasSuffix(".img") && !name.hasPrefix(".") {
                if try await store.task(id: String(name.dropLast(4))) != nil { continue }
            }
            try? FileManager.default.removeItem(at: url)
            files += 1
            bytes += size
            logger.info("retention: orphan upload deleted", metadata: ["file": "\(name)", "bytes": "\(size)"])
        }
        orphanWatermark.advance(to: cutoff)
        return (files, bytes)
    }

    static func fileBytes(_ url: URL) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: url.path)[.size]) as? NSNumber)?.intValue ?? 0
    }

    /// Bytes of the regular files under `url` (0 when absent).
    static func directoryBytes(_ url: URL) -> Int {
        guard let e = FileManager.default.enumerator(at: url, includingPropertiesForKeys: [.fileSizeKey, .isRegularFileKey])
        else { return 0 }
        var total = 0
        for case let file as URL in e {
            let v = try? file.resourceValues(forKeys: [.fileSizeKey, .isRegularFileKey])
            if v?.isRegularFile == true { total += v?.fileSize ?? 0 }
        }
        return total
    }
}

/// Runs `Retention.sweep` at start-up and then every `interval` seconds until shutdown.
struct RetentionService: Service {
    let retention: Retention
    let interval: Duration

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do { try await retention.sweep() } catch is CancellationError {
                    return  // shutdown
                } catch {
                    // A pooled store's request cancelled by the shutdown is the shutdown, not a failure.
                    if Task.isCancelled || Task.isShuttingDownGracefully { return }
                    retention.logger.error("retention sweep failed", metadata: ["error": "\(error)"])
                }
                try? await Task.sleep(for: interval)
            }
        }
    }
}

/// The modification time below which uploads were already checked for orphans.
final class OrphanWatermark: Sendable {
    private let state = Mutex(Date.distantPast)
    var value: Date { state.withLock { $0 } }
    func advance(to date: Date) { state.withLock { $0 = max($0, date) } }
}
