import Foundation
import SongEngine

/// The conversation between the server and a `chromasong render-worker` child (docs/server.md, "Worker processes").
///
/// - argv: `render-worker --memory-limit-mib N`: the child sets RLIMIT_DATA to N MiB before anything else.
/// - stdin: one line, the `RenderJob` as JSON. The server keeps stdin open for the child's whole life: end of file
///   on stdin means the server is gone, and the child exits at once (no orphan renders after a `kill -9`).
/// - stdout: JSON lines, `WorkerMessage`s: `plan` (once the song's length is known: the server derives the wall-time
///   limit from it), `progress` (each new stage), then exactly one `result` (exit status 0) or `failure` (exit
///   status 3). The child moves the channel off fd 1 first thing, so nothing else it links can write into it.
/// - stderr: free text for the server's log (the last 16 KiB are kept and logged when an attempt fails).
/// Anything else (a signal, another status, no final message) is a crash of the attempt.
struct RenderJob: Codable, Sendable {
    static let protocolVersion = 1

    var protocolVersion = Self.protocolVersion
    var taskId: String
    var conversionIds: [String]
    var request: TaskRequest
    var imagePath: String
    /// The final folder (`results/<task_id>`); the engine stages beside it and renames.
    var destination: String
    var presetsDirectory: String?
    var limits: RenderLimits
    /// A test-only fault (`ServerConfiguration.renderFault`); never set by `chromasong serve`.
    var fault: RenderFault?
    /// The claim this attempt renders under (`StoredTask.attempts`), which names its preview streams.
    var claim: Int? = nil
    /// `DATA_DIR/streams`: where each version's preview stream is written as it renders (`PreviewFiles`); nil: none.
    var streamsDirectory: String? = nil
}

/// Faults a test can ask a worker for, to prove the supervision: they exist only in the job the server writes to
/// the child's stdin, and the server writes one only when the test-only `ServerConfiguration.renderFault` says so.
public enum RenderFault: String, Codable, Sendable {
    /// Raise SIGSEGV once the song is planned.
    case segfault
    /// Stop forever once the song is planned (the wall-time limit must end it).
    case hang
    /// Allocate until the memory bound stops the process.
    case outOfMemory = "oom"
    /// Every file the render creates fails with ENOSPC from the kernel (a seccomp filter on open(O_CREAT)), as on a
    /// disk with no room left: the engine's real write path meets the error.
    case diskFull = "enospc"
}

/// One line on the worker's protocol channel.
struct WorkerMessage: Codable, Sendable {
    enum Kind: String, Codable, Sendable {
        case plan, progress, result, failure
    }

    /// Why a render ended without a result, as the worker saw it.
    enum FailureKind: String, Codable, Sendable {
        /// The request broke a rule (a `RequestError`): FAILED at once, the message is the user's.
        case request
        /// The results could not be written for want of space or quota.
        case diskFull = "disk_full"
        /// Anything else (detail for the log only).
        case `internal`
    }

    var type: Kind
    // plan
    var audioSeconds: Double?
    var versions: Int?
    // progress
    var stage: String?
    var fraction: Double?
    // result
    var manifest: Manifest?
    // failure
    var failure: FailureKind?
    var field: String?
    var message: String?
    var tooLarge: Bool?

    static func plan(audioSeconds: Double, versions: Int) -> WorkerMessage {
        WorkerMessage(type: .plan, audioSeconds: audioSeconds, versions: versions)
    }

    static func progress(_ stage: String, _ fraction: Double) -> WorkerMessage {
        WorkerMessage(type: .progress, stage: stage, fraction: fraction)
    }

    static func result(_ manifest: Manifest) -> WorkerMessage { WorkerMessage(type: .result, manifest: manifest) }

    static func failure(_ kind: FailureKind, field: String? = nil, message: String, tooLarge: Bool = false) -> WorkerMessage {
        WorkerMessage(type: .failure, failure: kind, field: field, message: message, tooLarge: tooLarge ? true : nil)
    }

    func line() -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var data = (try? encoder.encode(self)) ?? Data(#"{"type":"failure","failure":"internal","message":"unencodable"}"#.utf8)
        data.append(0x0A)
        return data
    }
}

/// Exit statuses of the worker.
enum WorkerExit {
    static let success: Int32 = 0
    /// A `failure` message was written.
    static let reported: Int32 = 3
    /// The job on stdin could not be read.
    static let badJob: Int32 = 64
    /// stdin reached end of file: the server is gone.
    static let orphaned: Int32 = 75
}

extension MusicPlan {
    /// Seconds of the planned form: every bar is 4 beats (the composer writes 4/4).
    var plannedSeconds: Double {
        Double(form.reduce(0) { $0 + $1.bars }) * 4 * 60 / Double(max(1, bpm))
    }
}
