import Foundation

/// Why one attempt at rendering a task failed without the request being at fault. Such a failure costs the task
/// one attempt; it is tried again after a backoff until `RenderLimits.maxAttempts`, then FAILED with
/// `AttemptFailure.finalMessage`. Stored with the task (`failure_log`), so the count survives restarts.
public struct AttemptFailure: Codable, Sendable, Hashable {
    public enum Kind: String, Codable, Sendable {
        /// The worker process died from a signal (SIGSEGV, SIGABRT, ...).
        case crashed
        /// The worker process exited with a non-zero status and no report.
        case exited
        /// Killed at its wall-time limit.
        case timedOut
        /// Ran into its memory bound (the allocation that failed ended the process).
        case outOfMemory
        /// The results could not be written: no space (ENOSPC) or quota (EDQUOT) left on the server's disk.
        case diskFull
        /// The whole server stopped (crash, kill -9, power) while the task was IN_PROGRESS.
        case serverStopped
        /// The worker node stopped renewing its claim (killed, cut off from the database, frozen): its lease ran
        /// out and another node put the task back (shared stores, issue 13).
        case leaseExpired
        /// The engine threw an unexpected error (details in the server log only).
        case `internal`
    }

    public var kind: Kind
    /// The signal or exit status (crashed, exited), the limit in seconds (timedOut) or MiB (outOfMemory).
    public var value: Double?

    public init(_ kind: Kind, value: Double? = nil) {
        self.kind = kind
        self.value = value
    }

    private var number: String { value.map { String(Int($0.rounded())) } ?? "?" }

    /// "crashed (signal 11)": what happened, after "the render".
    var phrase: String {
        switch kind {
        case .crashed: "crashed (signal \(number))"
        case .exited: "stopped with exit status \(number)"
        case .timedOut: "ran past its time limit (\(number) s)"
        case .outOfMemory: "ran out of memory (limit \(number) MiB)"
        case .diskFull: "could not write its results: the server's disk is full"
        case .serverStopped: "was cut short: the server stopped"
        case .leaseExpired: "was cut short: its worker stopped answering"
        case .internal: "failed with an internal error"
        }
    }

    /// The same happening `n` times: "crashed 3 times (signal 11)".
    func repeated(_ n: Int) -> String {
        switch kind {
        case .crashed: "crashed \(n) times (signal \(number))"
        case .exited: "stopped \(n) times with exit status \(number)"
        case .timedOut: "ran past its time limit \(n) times (\(number) s)"
        case .outOfMemory: "ran out of memory \(n) times (limit \(number) MiB)"
        case .diskFull: "could not write its results \(n) times: the server's disk is full"
        case .serverStopped:
            "stopped the server \(n) times (a crash, an out-of-memory kill or a forced stop); it is not tried again"
        case .leaseExpired: "lost its worker \(n) times (each stopped answering mid-render); it is not tried again"
        case .internal: "failed \(n) times with an internal error"
        }
    }

    /// The FAILED status message once the attempts are used up: "the server's disk is full (tried 3 times)" when
    /// the last attempt met a full disk, "the render crashed 3 times (signal 11)" when every attempt failed alike, else the list.
    public static func finalMessage(_ log: [AttemptFailure]) -> String {
        guard let last = log.last else { return "the render failed" }
        if last.kind == .diskFull { return "the server's disk is full (tried \(log.count == 1 ? "once" : "\(log.count) times"))" }
        if log.allSatisfy({ $0 == last }) {
            return log.count == 1 ? "the render \(last.phrase)" : "the render \(last.repeated(log.count))"
        }
        return "the render failed \(log.count) times: " + log.map(\.phrase).joined(separator: "; ")
    }

    /// The IN_QUEUE status message while the task waits for its next attempt.
    public static func retryMessage(_ failure: AttemptFailure, attempt: Int, of max: Int, after seconds: Double) -> String {
        let wait = "retrying in \(Int(seconds.rounded(.up))) s"
        if failure.kind == .diskFull { return "the server's disk is full; \(wait) (attempt \(attempt) of \(max) failed)" }
        return "attempt \(attempt) of \(max) \(failure.phrase); \(wait)"
    }
}

/// Messages users see (byId's `status_msg`, failure webhooks' `reason`) never carry a path of the server: an
/// absolute path in an error text (an engine error naming the file it could not write, say) is replaced.
public enum PublicMessage {
    /// Replaces every absolute file path (a `/` that starts a word, not one inside a URL or after a letter) with
    /// "[server file]".
    public static func scrub(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.count)
        var chars = Array(text)
        var i = 0
        func startsPath(_ i: Int) -> Bool {
            guard chars[i] == "/" else { return false }
            if i > 0 {
                let p = chars[i - 1]
                if p.isLetter || p.isNumber || p == "/" || p == ":" || p == "." || p == "_" || p == "-" { return false }
            }
            // A lone slash ("1 / 2") is no path: a path names something after it.
            return i + 1 < chars.count && !chars[i + 1].isWhitespace && chars[i + 1] != "/"
        }
        while i < chars.count {
            if startsPath(i) {
                var j = i
                while j < chars.count, !chars[j].isWhitespace, !"\"'()<>,;\u{201C}\u{201D}\u{2018}\u{2019}".contains(chars[j]) { j += 1 }
                // A sentence's full stop or colon after the path stays.
                while j > i + 1, ".:".contains(chars[j - 1]) { j -= 1 }
                out += "[server file]"
                i = j
                continue
            }
            out.append(chars[i])
            i += 1
        }
        chars.removeAll()
        return out
    }
}
