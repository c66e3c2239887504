import ArgumentParser
import Foundation
import Synchronization
import SongEngine
import VoiceConvert

#if canImport(Glibc)
import Glibc
#endif

/// The command-line face of SongEngine: every subcommand is a thin layer over the library API.
@main
struct Chromasong: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chromasong",
        abstract: "Turn an image into a song, offline.",
        subcommands: [Render.self, Analyze.self, Styles.self, Voices.self, Convert.self, Serve.self, RenderWorker.self]
    )

    /// ArgumentParser's own entry, except that a usage error (unknown option, unparseable or missing value) is one
    /// line naming the option and exit status 2, like every other rule a command line can break (its default is 64,
    /// EX_USAGE, with the whole usage text).
    static func main() async {
        ProcessMemory.returnLargeBuffersToSystem()
        do {
            var command = try parseAsRoot()
            if var command = command as? AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
        } catch {
            if exitCode(for: error) == .validationFailure {
                let lines = message(for: error).split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
                    .filter { !$0.isEmpty && !$0.hasPrefix("Usage:") && !$0.hasPrefix("See '") }
                let text = lines.first.map { $0.hasPrefix("Error: ") ? String($0.dropFirst(7)) : $0 } ?? "invalid usage"
                FileHandle.standardError.write(Data("chromasong: \(text) (see --help)\n".utf8))
                Glibc.exit(2)
            }
            exit(withError: error)
        }
    }
}

/// Prints one line for a rejected input and exits non-zero: 2 for a rule the input broke, 1 for anything else.
func fail(_ error: Error) -> Never {
    let line: String
    let code: Int32
    switch error {
    case let error as RequestError:
        line = error.description
        code = 2
    case is CancellationError:
        line = "cancelled"
        code = 130
    default:
        line = String(describing: error)
        code = 1
    }
    FileHandle.standardError.write(Data("chromasong: \(line)\n".utf8))
    exit(code)
}

struct Render: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Render a song from an image file or http(s) URL.")

    @Argument(help: "Image path or http(s) URL (JPEG, PNG, GIF, BMP, WEBP).") var image: String
    @Option(help: "Text that steers style, mood, instruments and tempo (at most 300 characters).") var prompt = ""
    @Option(help: "Lyrics (at most 3000 characters).") var lyrics = ""
    @Option(help: "Read the lyrics from a file.") var lyricsFile: String?
    @Option(help: "Things to avoid, comma or semicolon separated (\"no drums, avoid heavy metal\").") var negativeTags = ""
    @Flag(help: "No vocals; lyrics are ignored.") var instrumental = false
    @Flag(help: "Deliver the a-cappella vocal.") var vocalOnly = false
    @Option(help: "Key, e.g. \"C major\", \"A minor\", \"F# minor\", \"Bb major\", \"c#m\" (default: from the image).") var key = ""
    @Option(help: "Tempo 40...240 (0 = from the image).") var bpm = 0
    @Option(help: "Voice id from `chromasong voices`.") var voice = ""
    @Option(help: "Seed for reproducible output.") var seed: UInt64?
    @Option(help: "Duration in seconds, 10...600 (default: the style's natural form).") var duration: Double?
    @Option(help: "Number of versions, 1...4.") var versions = 2
    @Option(help: "Audio formats, a subset of mp3,wav,flac,ogg.") var formats = "mp3,wav"
    @Option(help: "Output folder (default ./out/<task_id>); must be new or empty unless --force.") var out: String?
    @Flag(help: "Write into an --out folder that already holds files (top-level entries of the same names, such as v1/, are replaced).")
    var force = false
    @Option(help: ArgumentHelp("Also play the first version while it renders: '-' writes it to standard output as WAV (through a provisional master, not the delivered one; the summary then goes to standard error).",
                               valueName: "-")) var stream: String?

    func validate() throws {
        if let stream, stream != "-" {
            throw ValidationError("--stream: only '-' (standard output) is supported, not \"\(stream)\"")
        }
    }

    func run() async throws {
        do {
            var lyricsText = lyrics
            if let lyricsFile {
                guard let data = FileManager.default.contents(atPath: lyricsFile), let text = String(data: data, encoding: .utf8) else {
                    throw RequestError(field: "lyrics", message: "cannot read the lyrics file \(lyricsFile) as UTF-8 text")
                }
                lyricsText = text
            }
            let source = ImageSource(pathOrURL: image)
            let request = SongRequest(
                image: source, prompt: prompt, lyrics: lyricsText, negativeTags: negativeTags,
                makeInstrumental: instrumental, vocalOnly: vocalOnly, key: key, bpm: bpm, voiceId: voice, seed: seed,
                duration: duration, versions: versions, formats: try SongRequest.parseFormats(formats))
            let engine = try ChromasongEngine()
            // Every rule of the request first: a refused request touches no folder.
            try engine.validate(request)
            let streamOut = stream == nil ? nil : PreviewOutput()
            var options = RenderOptions()
            if let streamOut { options.preview = { @Sendable data in streamOut.write(data) } }
            let folder = try OutputFolder.prepare(out ?? "out/\(options.taskId)", force: force)
            let directory = folder.url
            let bar = ProgressBar()
            let interrupt = InterruptGuard(folder: folder) { bar.finish() }
            let render = Task { try await engine.render(request, to: directory, options: options) { bar.show($0) } }
            interrupt.watch { render.cancel() }
            let result: RenderResult
            do {
                result = try await render.value
                interrupt.finish(success: true)
            } catch {
                // Interrupted: the signal handler cleans up and exits 130/143.
                if interrupt.finish(success: false) { while true { try? await Task.sleep(for: .seconds(60)) } }
                throw Self.outputError(error, folder: folder)
            }
            bar.finish()
            // With a stream on standard output, the summary goes to standard error once every sample is written.
            streamOut?.drain()
            let say: (String) -> Void = streamOut == nil ? { print($0) }
                : { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }
            let m = result.manifest
            say("\"\(m.title)\" -> \(directory.path)")
            for v in m.versions {
                say("  \(v.conversionId.prefix(8))  \(v.style), \(v.key), \(v.bpm) bpm, \(String(format: "%.1f", v.duration)) s, "
                    + "\(String(format: "%.1f", v.loudness.integratedLUFS)) LUFS, \(String(format: "%.1f", v.loudness.truePeakDBTP)) dBTP")
            }
            for note in m.notes { say("  note: \(note)") }
        } catch {
            fail(error)
        }
    }
}

extension Render {
    /// A file error while writing the render (disk full, folder removed, permissions changed) as one line naming
    /// `out`, without Foundation's wrapping; any other error unchanged.
    static func outputError(_ error: Error, folder: OutputFolder) -> Error {
        if error is RequestError || error is CancellationError { return error }
        let ns = error as NSError
        let isFileError = ns.domain == NSCocoaErrorDomain || ns.domain == NSPOSIXErrorDomain
            || String(describing: type(of: error)) == "WriteError"
        guard isFileError else { return error }
        return OutputWriteError(message: "out: could not write the render into \(folder.url.path) "
            + "(\(OutputFolder.reason(error))); nothing was left there")
    }
}

/// Writing the output failed: exit status 1 (not the input's fault), one line.
struct OutputWriteError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

struct Analyze: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the image's features, the scene found in it and the plan that would be chosen (with the lyrics a sung render would get), as JSON.")

    @Argument(help: "Image path or http(s) URL.") var image: String
    @Option(help: "Prompt, as for render.") var prompt = ""
    @Option(help: "Lyrics, as for render.") var lyrics = ""
    @Option(help: "Negative tags, as for render.") var negativeTags = ""
    @Flag(help: "Plan an instrumental, as for render (no lyrics).") var instrumental = false
    @Option(help: "Key, as for render.") var key = ""
    @Option(help: "Tempo, as for render.") var bpm = 0
    @Option(help: "Voice id, as for render.") var voice = ""
    @Option(help: "Duration, as for render.") var duration: Double?

    func run() async throws {
        do {
            let source = ImageSource(pathOrURL: image)
            let request = SongRequest(image: source, prompt: prompt, lyrics: lyrics, negativeTags: negativeTags,
                                      makeInstrumental: instrumental, key: key, bpm: bpm, voiceId: voice,
                                      duration: duration)
            let result = try await ChromasongEngine().analyze(request)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(result), as: UTF8.self))
        } catch {
            fail(error)
        }
    }
}

struct Styles: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the style presets.")

    @Flag(help: "Print JSON instead of a table.") var json = false

    func run() async throws {
        do {
            let engine = try ChromasongEngine()
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                print(String(decoding: try encoder.encode(engine.styles.styles), as: UTF8.self))
                return
            }
            for style in engine.styles.styles {
                let id = style.id.padding(toLength: 14, withPad: " ", startingAt: 0)
                let tempo = "\(style.tempoMin)-\(style.tempoMax) bpm".padding(toLength: 13, withPad: " ", startingAt: 0)
                print("\(id)\(tempo)\(style.description)")
            }
        } catch {
            fail(error)
        }
    }
}

struct Voices: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the voice catalog (ids for --voice).")

    @Argument(help: "Only voices matching these words.") var query: [String] = []
    @Flag(help: "Print JSON instead of a table.") var json = false

    func run() async throws {
        do {
            let engine = try ChromasongEngine()
            let voices = engine.voices.search(query.joined(separator: " "))
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                print(String(decoding: try encoder.encode(voices), as: UTF8.self))
                return
            }
            for v in voices {
                let pitch = String(format: "%+.0f st", v[.pitchShift]).padding(toLength: 8, withPad: " ", startingAt: 0)
                print(v.id.padding(toLength: 8, withPad: " ", startingAt: 0) + v.name.padding(toLength: 8, withPad: " ", startingAt: 0)
                      + pitch + v.description)
            }
        } catch {
            fail(error)
        }
    }
}

struct Convert: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Shift the pitch and/or formants of a WAV file, or convert it to a catalog voice.")

    @Argument(help: "Input WAV (mono or stereo).") var input: String
    @Argument(help: "Output WAV (24-bit).") var output: String
    @Option(parsing: .unconditional, help: "Pitch shift in semitones, -24...24 (negative values as `--semitones -5`).")
    var semitones: Double = 0
    @Option(parsing: .unconditional, help: "Formant shift in semitones relative to the input, -24...24 (0 keeps the voice's formants).")
    var formantSemitones: Double = 0
    @Option(help: "A voice id from `chromasong voices` (its pitch and formant shifts; --semitones transposes on top).")
    var voice = ""

    func run() async throws {
        do {
            try ChromasongEngine().convert(input: input, output: output, semitones: semitones,
                                           formantSemitones: formantSemitones, voiceId: voice)
        } catch {
            fail(error)
        }
    }
}

/// A one-line progress bar on a terminal (stderr); silent when stderr is not a terminal.
final class ProgressBar: Sendable {
    private let enabled = isatty(2) != 0
    /// The percentage shown last.
    private let last = Mutex(-1)

    func show(_ progress: RenderProgress) {
        guard enabled else { return }
        last.withLock { last in
            let percent = Int((progress.fraction * 100).rounded())
            guard percent != last else { return }
            last = percent
            let filled = percent * 30 / 100
            let bar = String(repeating: "#", count: filled) + String(repeating: " ", count: 30 - filled)
            FileHandle.standardError.write(Data("\r[\(bar)] \(percent)% \(progress.stage)\u{1B}[K".utf8))
        }
    }

    func finish() {
        guard enabled else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }
}

/// `render --stream -`: the preview's bytes written to standard output in order, on a queue of their own, so the
/// render never waits for the listener (a player reads at real time; the queue holds at most the song, about
/// 31 MB for 3 minutes). A listener that goes away (EPIPE) ends the stream, not the render: SIGPIPE is ignored
/// and the files are still delivered.
final class PreviewOutput: Sendable {
    private let queue = DispatchQueue(label: "chromasong.stream")
    private let closed = Mutex(false)

    init() { signal(SIGPIPE, SIG_IGN) }

    func write(_ data: Data) {
        queue.async { [self] in
            guard !closed.withLock({ $0 }) else { return }
            data.withUnsafeBytes { raw in
                var done = 0
                while done < raw.count {
                    let n = Glibc.write(STDOUT_FILENO, raw.baseAddress! + done, raw.count - done)
                    if n < 0 && errno == EINTR { continue }
                    if n <= 0 {
                        closed.withLock { $0 = true }
                        return
                    }
                    done += n
                }
            }
        }
    }

    /// Waits until everything queued is written (or the listener left).
    func drain() { queue.sync {} }
}
