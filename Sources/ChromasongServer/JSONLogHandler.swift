import Foundation
import Logging
import Synchronization

/// One JSON object per line on standard error (`chromasong serve --log-format json`, issue 13): what a log
/// collector needs to follow a task across API nodes and workers. Keys: `ts` (ISO 8601, UTC, milliseconds),
/// `level`, `label`, `msg`, `node`, then the metadata (`task_id`, `worker`, `attempt`, ...) as strings.
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    let label: String
    let node: String

    public init(label: String, node: String) {
        self.label = label
        self.node = node
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// Lines from concurrent tasks never interleave.
    static let output = Mutex(())

    public func log(level: Logger.Level, message: Logger.Message, metadata explicit: Logger.Metadata?,
                    source: String, file: String, function: String, line: UInt) {
        guard let data = self.line(level: level, message: message, metadata: explicit, at: Date()) else { return }
        Self.output.withLock { _ in FileHandle.standardError.write(data) }
    }

    /// The line written for one message, newline included.
    func line(level: Logger.Level, message: Logger.Message, metadata explicit: Logger.Metadata?, at date: Date) -> Data? {
        var fields: [String: String] = [:]
        for (k, v) in self.metadata.merging(explicit ?? [:], uniquingKeysWith: { _, new in new }) { fields[k] = "\(v)" }
        fields["ts"] = Self.timestamp(date)
        fields["level"] = level.rawValue
        fields["label"] = label
        fields["msg"] = message.description
        fields["node"] = node
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard var data = try? encoder.encode(fields) else { return nil }
        data.append(0x0A)
        return data
    }

    static func timestamp(_ date: Date) -> String {
        let f = Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: .gmt)
        return date.formatted(f)
    }
}
