import Foundation
import Logging
import ServiceLifecycle

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

    var uploadsDirectory: URL { dataDirectory.appendingPathComponent("uploads") }
    var resultsDirectory: URL { dataDirectory.appendingPathComponent("results") }

    struct Sweep: Sendable, Equatable {
        var expiredTasks = 0
        var bytesFreed = 0
        var keysForgotten = 0
        var storedTasks = 0
        var storedBytes = 0
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
        (out.storedTasks, out.storedBytes) = try await store.storageTotals()
        if out.expiredTasks > 0 || out.keysForgotten > 0 {
            logger.notice("retention sweep", metadata: [
                "tasks_expired": "\(out.expiredTasks)", "bytes_freed": "\(out.bytesFreed)",
                "idempotency_keys_forgotten": "\(out.keysForgotten)", "tasks_stored": "\(out.storedTasks)",
                "bytes_stored": "\(out.storedBytes)",
            ])
        }
        return out
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
