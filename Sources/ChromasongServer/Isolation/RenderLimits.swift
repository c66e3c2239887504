import Foundation

/// Where renders run: in the server's own process (threads of `RenderExecutor`), or each in a child process the
/// server supervises (`chromasong render-worker`), so that a crash, a hang or a runaway allocation costs one
/// attempt of one task, never the server. `chromasong serve` uses `.process` with its own binary.
public enum RenderWorkerMode: Sendable, Hashable {
    case inProcess
    /// Re-executes `executable` with the hidden `render-worker` subcommand for every render.
    case process(executable: URL)

    /// The running binary: `/proc/self/exe` on Linux (the very file the server runs from, even if it was replaced
    /// on disk since), else the path the process was started with.
    public static var currentExecutable: URL {
        #if os(Linux)
        return URL(fileURLWithPath: "/proc/self/exe")
        #else
        return URL(fileURLWithPath: CommandLine.arguments[0])
        #endif
    }

    /// "process" (the running binary), "in-process", or the absolute path of a chromasong binary.
    public static func parse(_ text: String) -> RenderWorkerMode? {
        switch text.lowercased() {
        case "process", "isolated": return .process(executable: currentExecutable)
        case "in-process", "inprocess", "thread", "threads": return .inProcess
        default: return text.hasPrefix("/") ? .process(executable: URL(fileURLWithPath: text)) : nil
        }
    }
}

/// The bounds of one render attempt and the attempts a task gets. Every formula is in docs/server.md
/// ("Worker processes"); the defaults come from measured peaks (figures there).
public struct RenderLimits: Sendable, Hashable, Codable {
    /// Wall seconds every attempt gets on top of its audio: spawn, presets, decode, analysis, cover, commit.
    public var timeFloor: Double
    /// Wall seconds per second of planned audio per version. A release build renders a sung version at about 0.05
    /// wall s per audio s on one loaded core, so 1.0 leaves room for a machine 20x busier than that.
    public var timePerAudioSecond: Double
    /// Memory (RLIMIT_DATA: heap and private writable mappings) every attempt gets, MiB.
    public var memoryFloorMiB: Double
    /// Memory per second of audio per version, MiB (measured: 1.85 MiB at 600 s, 1.9 at 180 s).
    public var memoryPerAudioSecondMiB: Double
    /// The longest song the contract allows: the memory bound before the plan is known assumes it.
    public var maxSongSeconds: Double
    /// Attempts a task gets and the wait before it may be claimed again after a failed one:
    /// `initial * factor^(n-1)` seconds after the n-th failure, at most `cap`; FAILED after `maxAttempts`.
    public var retry: RetrySchedule

    public init(timeFloor: Double = 120, timePerAudioSecond: Double = 1.0, memoryFloorMiB: Double = 512,
                memoryPerAudioSecondMiB: Double = 2.5, maxSongSeconds: Double = 600,
                retry: RetrySchedule = RetrySchedule(initial: 10, factor: 3, cap: 300, maxAttempts: 3)) {
        self.timeFloor = timeFloor
        self.timePerAudioSecond = timePerAudioSecond
        self.memoryFloorMiB = memoryFloorMiB
        self.memoryPerAudioSecondMiB = memoryPerAudioSecondMiB
        self.maxSongSeconds = maxSongSeconds
        self.retry = retry
    }

    /// Attempts before a task is FAILED (at least 1).
    public var maxAttempts: Int { max(1, retry.maxAttempts) }

    /// Wall-time limit of an attempt: `timeFloor + timePerAudioSecond x audio seconds x versions`. Before the
    /// worker has planned the song (audio unknown) the limit is the floor alone.
    public func timeLimit(audioSeconds: Double?, versions: Int) -> Double {
        timeFloor + timePerAudioSecond * (audioSeconds ?? 0) * Double(max(1, versions))
    }

    /// Memory bound of an attempt, MiB: `memoryFloorMiB + memoryPerAudioSecondMiB x audio seconds x versions`,
    /// with the longest allowed song until the plan gives the real length.
    public func memoryLimitMiB(audioSeconds: Double?, versions: Int) -> Int {
        Int((memoryFloorMiB + memoryPerAudioSecondMiB * (audioSeconds ?? maxSongSeconds) * Double(max(1, versions)))
            .rounded(.up))
    }
}
