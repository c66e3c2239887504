import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One `render-worker` child, supervised from a dedicated thread: spawned with posix_spawn (own process group,
/// default signal dispositions, only fds 0-2 inherited), fed its job on stdin, read on stdout (protocol) and stderr
/// (log), killed (SIGKILL to its group) at its deadline or on cancellation, and reaped with wait4 for its exit
/// status and peak memory.
final class WorkerProcess: Sendable {
    /// How a child ended.
    struct Ending: Sendable {
        enum Termination: Sendable, Equatable {
            case exited(Int32)
            case signaled(Int32)
        }

        var termination: Termination
        /// Killed by the supervisor at the deadline.
        var timedOut: Bool
        /// Killed by the supervisor because the render was cancelled (shutdown).
        var cancelled: Bool
        /// The deadline in force when it ended (seconds after the spawn).
        var timeLimit: Double
        var messages: [WorkerMessage]
        /// The last 16 KiB of stderr.
        var stderrTail: String
        /// Peak resident memory (wait4's ru_maxrss), KiB.
        var maxRSSKiB: Int
        var wallSeconds: Double
    }

    struct SpawnError: Error, CustomStringConvertible {
        var description: String
    }

    private let cancelRequested = Mutex(false)

    /// Asks the supervision loop to kill the child (it notices within 100 ms).
    func cancel() { cancelRequested.withLock { $0 = true } }
    private var isCancelled: Bool { cancelRequested.withLock { $0 } }

    /// Serializes spawns: descriptors are made close-on-exec right after `pipe()`, before another spawn can run.
    private static let spawnLock = Mutex(())

    /// Ignore SIGPIPE once for the whole server: writing a job to a child that already died must give EPIPE, not end
    /// the server.
    private static let ignoreSIGPIPE: Void = { _ = signal(SIGPIPE, SIG_IGN) }()

    /// Runs the child to its end on the calling thread (call it from a dedicated thread). `limit` gives the deadline
    /// in seconds after the spawn from what the child said so far (its `plan`).
    func run(executable: String, arguments: [String], environment: [String: String], stdin job: Data,
             limit: (_ messages: [WorkerMessage]) -> Double, onMessage: (WorkerMessage) -> Void) throws -> Ending {
        _ = Self.ignoreSIGPIPE
        let start = Date()
        let (pid, input, output, errors) = try Self.spawn(executable: executable, arguments: arguments,
                                                          environment: environment)
        // The job, then keep stdin open: it is the child's sign that the server lives.
        Self.writeAll(input, job)

        var messages: [WorkerMessage] = []
        var pending = Data()
        var tail = Data()
        var outOpen = true, errOpen = true
        var timedOut = false, cancelled = false, killed = false
        var deadline = limit(messages)
        var status: Int32 = 0
        var usage = rusage()
        var reaped = false
        var buffer = [UInt8](repeating: 0, count: 65536)

        func kill() {
            guard !killed else { return }
            killed = true
            _ = Glibc.kill(-pid, SIGKILL)
            _ = Glibc.kill(pid, SIGKILL)
        }

        while !(reaped && !outOpen && !errOpen) {
            var fds: [pollfd] = []
            if outOpen { fds.append(pollfd(fd: output, events: Int16(POLLIN), revents: 0)) }
            if errOpen { fds.append(pollfd(fd: errors, events: Int16(POLLIN), revents: 0)) }
            let timeout: Int32 = fds.isEmpty ? 10 : 100
            if fds.isEmpty {
                usleep(UInt32(timeout) * 1000)
            } else {
                _ = fds.withUnsafeMutableBufferPointer { poll($0.baseAddress, nfds_t($0.count), timeout) }
            }
            for p in fds where p.revents != 0 {
                let n = read(p.fd, &buffer, buffer.count)
                if n < 0 && (errno == EINTR || errno == EAGAIN) { continue }
                if p.fd == output {
                    if n <= 0 { outOpen = false; continue }
                    pending.append(contentsOf: buffer[0..<n])
                    while let newline = pending.firstIndex(of: 0x0A) {
                        let line = pending[pending.startIndex..<newline]
                        pending = Data(pending[(newline + 1)...])
                        guard let message = try? JSONDecoder().decode(WorkerMessage.self, from: line) else {
                            tail.append(contentsOf: Data("[unreadable protocol line]\n".utf8))
                            continue
                        }
                        messages.append(message)
                        onMessage(message)
                        deadline = limit(messages)
                    }
                } else {
                    if n <= 0 { errOpen = false; continue }
                    tail.append(contentsOf: buffer[0..<n])
                    if tail.count > 32768 { tail = Data(tail.suffix(16384)) }
                }
            }
            if !reaped {
                let r = wait4(pid, &status, WNOHANG, &usage)
                if r == pid || (r < 0 && errno == ECHILD) { reaped = true }
            }
            if reaped && (outOpen || errOpen) && Date().timeIntervalSince(start) > deadline + 5 {
                // A descendant kept the pipes open after the child ended: stop listening.
                break
            }
            if !reaped {
                let elapsed = Date().timeIntervalSince(start)
                if elapsed > deadline && !killed {
                    timedOut = true
                    kill()
                }
                if isCancelled && !killed {
                    cancelled = true
                    kill()
                }
            }
        }
        close(output)
        close(errors)
        close(input)

        let termination: Ending.Termination
        // WIFSIGNALED / WTERMSIG / WEXITSTATUS (macros, not imported).
        let low = status & 0x7F
        if low != 0 && low != 0x7F {
            termination = .signaled(low)
        } else {
            termination = .exited((status >> 8) & 0xFF)
        }
        return Ending(termination: termination, timedOut: timedOut, cancelled: cancelled, timeLimit: deadline,
                      messages: messages, stderrTail: String(decoding: tail.suffix(16384), as: UTF8.self),
                      maxRSSKiB: Int(usage.ru_maxrss), wallSeconds: Date().timeIntervalSince(start))
    }

    /// Every byte of `data` to `fd`, retrying after EINTR; stops at any other error (EPIPE: the child is gone, and
    /// its ending tells why). The child writes its protocol lines with the same loop.
    static func writeAll(_ fd: Int32, _ data: Data) {
        data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    return
                }
                offset += n
            }
        }
    }

    /// Open descriptors of this process (from /proc/self/fd).
    private static func openDescriptors() -> [Int32] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        return names.compactMap { Int32($0) }
    }

    /// posix_spawn with stdin/stdout/stderr on fresh pipes. Returns the pid and the server's ends.
    private static func spawn(executable: String, arguments: [String], environment: [String: String]) throws
        -> (pid_t, input: Int32, output: Int32, errors: Int32)
    {
        try spawnLock.withLock { _ in try spawnOne(executable: executable, arguments: arguments, environment: environment) }
    }

    /// `spawn` under `spawnLock`.
    private static func spawnOne(executable: String, arguments: [String], environment: [String: String]) throws
        -> (pid_t, input: Int32, output: Int32, errors: Int32)
    {
        var i: [Int32] = [-1, -1], o: [Int32] = [-1, -1], e: [Int32] = [-1, -1]
        guard pipe(&i) == 0 else { throw SpawnError(description: "pipe: errno \(errno)") }
        guard pipe(&o) == 0 else {
            i.forEach { close($0) }
            throw SpawnError(description: "pipe: errno \(errno)")
        }
        guard pipe(&e) == 0 else {
            (i + o).forEach { close($0) }
            throw SpawnError(description: "pipe: errno \(errno)")
        }
        let all = i + o + e
        for fd in all { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, i[0], 0)
        posix_spawn_file_actions_adddup2(&actions, o[1], 1)
        posix_spawn_file_actions_adddup2(&actions, e[1], 2)
        // Nothing else of the server (sockets, the database, other children's pipes) reaches the child, even a
        // descriptor some library opened without close-on-exec.
        for fd in openDescriptors() where fd > 2 {
            posix_spawn_file_actions_addclose(&actions, fd)
        }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // Own process group (a terminal's Ctrl-C reaches the server, which shuts down in order; the deadline kills
        // the whole group), no blocked signals, default dispositions for those the server ignores or handles.
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        posix_spawnattr_setpgroup(&attributes, 0)
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for s in [SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGCHLD, SIGXFSZ, SIGUSR1, SIGUSR2, SIGALRM] {
            sigaddset(&defaults, s)
        }
        posix_spawnattr_setsigdefault(&attributes, &defaults)

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        close(i[0])
        close(o[1])
        close(e[1])
        guard rc == 0 else {
            close(i[1])
            close(o[0])
            close(e[0])
            throw SpawnError(description: "cannot start the render worker \(executable): \(String(cString: strerror(rc)))")
        }
        return (pid, i[1], o[0], e[0])
    }
}
