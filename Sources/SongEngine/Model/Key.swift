/// A musical key: a tonic pitch class and a mode.
public struct Key: Sendable, Hashable, Codable, CustomStringConvertible {
    public enum Mode: String, Sendable, Hashable, Codable, CaseIterable {
        case major, minor
    }

    /// Pitch class of the tonic, 0 = C ... 11 = B.
    public var tonic: Int
    public var mode: Mode

    public init(tonic: Int, mode: Mode) {
        self.tonic = ((tonic % 12) + 12) % 12
        self.mode = mode
    }

    /// Spelling of each tonic: sharps or flats as musicians usually write that key.
    static let majorNames = ["C", "Db", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"]
    static let minorNames = ["C", "C#", "D", "Eb", "E", "F", "F#", "G", "G#", "A", "Bb", "B"]

    public var tonicName: String { mode == .major ? Key.majorNames[tonic] : Key.minorNames[tonic] }
    public var description: String { "\(tonicName) \(mode.rawValue)" }

    /// Scale degrees as semitones above the tonic (natural minor for minor keys; composition raises the
    /// leading tone where a cadence needs it).
    public var scale: [Int] { mode == .major ? [0, 2, 4, 5, 7, 9, 11] : [0, 2, 3, 5, 7, 8, 10] }

    /// All 24 keys, C major, C minor, Db major, ...
    public static var all: [Key] { (0..<12).flatMap { t in Mode.allCases.map { Key(tonic: t, mode: $0) } } }

    /// The forms accepted by `parse`, for error messages.
    public static let acceptedForms =
        "a note A-G with optional # or b, then major/minor, maj/min, M/m, or nothing for major (e.g. \"C major\", \"A minor\", \"F# minor\", \"Bb major\", \"c#m\")"

    /// Parses "C major", "A minor", "F# minor", "Bb major", "c#m", "Ebmaj", "g min", "D" (major), "Am".
    /// Returns nil for anything else.
    public static func parse(_ text: String) -> Key? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard let first = trimmed.first else { return nil }
        let letters: [Character: Int] = ["c": 0, "d": 2, "e": 4, "f": 5, "g": 7, "a": 9, "b": 11]
        guard let base = letters[Character(first.lowercased())] else { return nil }
        var rest = Substring(trimmed.dropFirst())
        var tonic = base
        if let accidental = rest.first {
            if accidental == "#" || accidental == "♯" {
                tonic += 1
                rest = rest.dropFirst()
            } else if accidental == "♭" || accidental == "b" {
                // "b" after the letter is always a flat ("Bb", "eb", "Ebm"): no mode word starts with b.
                tonic -= 1
                rest = rest.dropFirst()
            }
        }
        let modeWord = rest.trimmingCharacters(in: .whitespaces)
        let mode: Mode
        switch modeWord {
        case "", "M", "maj", "Maj", "MAJ": mode = .major
        case "m", "min", "Min", "MIN": mode = .minor
        default:
            switch modeWord.lowercased() {
            case "major": mode = .major
            case "minor": mode = .minor
            default: return nil
            }
        }
        return Key(tonic: tonic, mode: mode)
    }
}

import Foundation
