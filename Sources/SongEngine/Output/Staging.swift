import Foundation

/// Everything a render writes goes first into a hidden staging folder beside the destination; only a finished
/// render is moved into place. A failed or cancelled render leaves nothing in the destination.
struct StagingDirectory {
    let destination: URL
    let staging: URL

    init(destination: URL) throws {
        self.destination = destination.standardizedFileURL
        let parent = self.destination.deletingLastPathComponent()
        try FileManager.default.createDirectory(at: parent, withIntermediateDirectories: true)
        staging = parent.appendingPathComponent(".\(self.destination.lastPathComponent).partial-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: staging, withIntermediateDirectories: true)
    }

    func url(_ relativePath: String) throws -> URL {
        let url = staging.appendingPathComponent(relativePath)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        return url
    }

    /// Moves the staged files into the destination: a rename of the whole folder when the destination does not
    /// exist, else a move of each top-level entry (the destination may be an empty folder the user made).
    func commit() throws {
        let fm = FileManager.default
        if !fm.fileExists(atPath: destination.path) {
            try fm.moveItem(at: staging, to: destination)
            return
        }
        for name in try fm.contentsOfDirectory(atPath: staging.path) {
            let target = destination.appendingPathComponent(name)
            if fm.fileExists(atPath: target.path) { try fm.removeItem(at: target) }
            try fm.moveItem(at: staging.appendingPathComponent(name), to: target)
        }
        try fm.removeItem(at: staging)
    }

    func discard() {
        try? FileManager.default.removeItem(at: staging)
    }
}
