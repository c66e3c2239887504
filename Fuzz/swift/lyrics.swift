import Foundation

// libFuzzer target: the lyrics parser (Sources/SongEngine/Lyrics/LyricsParser.swift), compiled into this binary from
// the engine's own source by scripts/fuzz-swift.sh. Any UTF-8 (or not) bytes; the parse must not crash, hang or
// read out of bounds, and what it returns must hold together.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzLyrics(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    let lyrics = LyricsParser.parse(text)
    for section in lyrics.sections {
        precondition(!section.kind.isEmpty, "a section without a kind")
        for line in section.lines { precondition(!line.contains("\n"), "a line holding a newline") }
    }
    _ = lyrics.text
    return 0
}
