import Dispatch
import Foundation
import Synchronization
import SongEngine

#if canImport(Glibc)
import Glibc
#endif

/// The `--out` folder of `render`: checked before any work, and cleaned of the render's hidden staging folder when
/// the process is interrupted.
struct OutputFolder {
    let url: URL

    /// Refuses a destination the render could not or must not write: a file, a folder that holds files (unless
    /// `force`: then the render replaces the entries it writes, as before), a folder that cannot be created or
    /// written. The parent is created; a write probe in it is the test (permissions alone say nothing to root or
    /// on a read-only file system).
    static func prepare(_ path: String, force: Bool) throws(RequestError) -> OutputFolder {
        let url = URL(fileURLWithPath: path).standardizedFileURL
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        if fm.fileExists(atPath: url.path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else {
                throw RequestError(field: "out", message: "\(url.path) is a file, not a folder")
            }
            let entries: [String]
            do { entries = try fm.contentsOfDirectory(atPath: url.path) } catch {
                throw RequestError(field: "out", message: "cannot read the folder \(url.path) (\(reason(error)))")
            }
            if !entries.isEmpty && !force {
                throw RequestError(field: "out", message: "\(url.path) already holds \(entries.count) "
                    + "\(entries.count == 1 ? "entry" : "entries"); choose a new or empty folder, or pass --force to "
                    + "write into it (entries of the same names, such as v1/, are replaced)")
            }
        }
        let parent = url.deletingLastPathComponent()
        // A file where a folder of the path should be: said plainly (Foundation's error names no cause).
        var ancestor = parent
        while ancestor.path != "/" && !fm.fileExists(atPath: ancestor.path) { ancestor = ancestor.deletingLastPathComponent() }
        if fm.fileExists(atPath: ancestor.path, isDirectory: &isDirectory), !isDirectory.boolValue {
            throw RequestError(field: "out", message: "cannot create \(url.path): \(ancestor.path) is a file, not a folder")
        }
        do {
            try fm.createDirectory(at: parent, withIntermediateDirectories: true)
            let probe = parent.appendingPathComponent(".\(url.lastPathComponent).probe-\(getpid())")
            try Data().write(to: probe)
            try fm.removeItem(at: probe)
        } catch {
            throw RequestError(field: "out", message: "cannot write beside \(url.path) in \(parent.path) (\(reason(error)))")
        }
        return OutputFolder(url: url)
    }

    /// The hidden staging folders of renders into this destination (`.NAME.partial-*` beside it).
    func stagingFolders() -> Set<String> {
        let parent = url.deletingLastPathComponent()
        let prefix = ".\(url.lastPathComponent).partial-"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: parent.path)) ?? []
        return Set(names.filter { $0.hasPrefix(prefix) })
    }

    func removeStaging(except existing: Set<String>) {
        let parent = url.deletingLastPathComponent()
        for name in stagingFolders().subtracting(existing) {
            try? FileManager.default.removeItem(at: parent.appendingPathComponent(name))
        }
    }

    /// The system's words for a file error, without Foundation's wrapping ("Operation not permitted", ...).
    static func reason(_ error: Error) -> String {
        if String(describing: type(of: error)) == "WriteError" { return "an audio file could not be written" }
        let ns = error as NSError
        if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(underlying.code)))
        }
        if ns.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(ns.code))) }
        switch CocoaError.Code(rawValue: ns.code) {
        case .fileWriteNoPermission, .fileReadNoPermission: return "permission denied"
        case .fileWriteVolumeReadOnly: return "read-only file system"
        case .fileWriteOutOfSpace: return "no space left on the device"
        case .fileNoSuchFile, .fileReadNoSuchFile: return "no such file or folder"
        case .fileWriteFileExists: return "a file is in the way"
        default: return "the system refused it"
        }
    }
}

/// SIGINT and SIGTERM during a render: cancel it, give it a moment to clean up after itself, then remove what is
/// left of its staging folder and exit 130 (SIGINT) or 143 (SIGTERM). A render that finished in the meantime keeps
/// its (complete) output.
final class InterruptGuard: @unchecked Sendable {
    private var sources: [DispatchSourceSignal] = []
    private struct State {
        var cancel: (@Sendable () -> Void)?
        var finished = false
        var succeeded = false
        var interrupting = false
    }
    private let state = Mutex(State())
    private let folder: OutputFolder
    private let existing: Set<String>
    private let onExit: @Sendable () -> Void
    /// How long a cancelled render gets to stop at its next check and discard its staging folder itself.
    static let grace: TimeInterval = 1.5
    /// Its own queue: a custom serial queue runs on dispatch's overcommitting pool, so the handler runs at once even
    /// when the render keeps every thread of the global (cooperative) pool busy.
    private let queue = DispatchQueue(label: "chromasong.signals")

    init(folder: OutputFolder, onExit: @escaping @Sendable () -> Void) {
        self.folder = folder
        self.existing = folder.stagingFolders()
        self.onExit = onExit
        for signo in [SIGINT, SIGTERM] {
            signal(signo, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signo, queue: queue)
            source.setEventHandler { [self] in interrupted(signo) }
            source.resume()
            sources.append(source)
        }
    }

    /// What to call to cancel the render.
    func watch(_ cancel: @escaping @Sendable () -> Void) { state.withLock { $0.cancel = cancel } }

    /// The render ended (done or failed). Returns true when a signal is being handled: the caller then leaves the
    /// exit to the handler.
    @discardableResult
    func finish(success: Bool) -> Bool {
        state.withLock { state in
            state.finished = true
            state.succeeded = success
            return state.interrupting
        }
    }

    private func interrupted(_ signo: Int32) {
        let cancel = state.withLock { state -> (@Sendable () -> Void)? in
            // A render already done is left to print its result; a second signal changes nothing.
            guard !state.finished, !state.interrupting, let cancel = state.cancel else { return nil }
            state.interrupting = true
            return cancel
        }
        guard let cancel else { return }
        cancel()
        let deadline = Date().addingTimeInterval(Self.grace)
        while Date() < deadline, !state.withLock({ $0.finished }) { usleep(20_000) }
        if state.withLock({ $0.finished && $0.succeeded }) {
            // It committed a whole folder before the cancellation reached it: that output stands.
            state.withLock { $0.interrupting = false }
            return
        }
        // Stopped (the engine discarded its staging) or still running past the grace: nothing of it may stay.
        folder.removeStaging(except: existing)
        onExit()
        let line = "chromasong: interrupted by \(signo == SIGINT ? "SIGINT" : "SIGTERM"); "
            + "nothing was written to \(folder.url.path)\n"
        FileHandle.standardError.write(Data(line.utf8))
        exit(128 + signo)
    }
}
