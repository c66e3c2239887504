import Foundation

/// The installation or the server's settings are at fault, not the request: a presets folder that is missing, a
/// setting out of range, a secret file that cannot be read. Kept apart from `RequestError` (the user's input broke a
/// rule of the contract), so the CLI exits 1 rather than 2 and the server answers 500 rather than 422 (issue 10).
public struct ConfigurationError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
