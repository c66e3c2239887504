import Foundation

/// Timed lyrics as an `.lrc` file (the de-facto karaoke format players read): a title tag, then one
/// `[mm:ss.xx]line` per sung line in time order. Section tags ("[Chorus]") are not lines of an LRC file and are
/// left out; each line's words keep their times in the manifest.
public enum LRCFile {
    public static func encode(title: String, lines: [Manifest.LyricLine]) -> String {
        var out = "[ti:\(clean(title))]\n[re:Chromasong]\n"
        for line in lines where !line.words.isEmpty {
            out += "[\(stamp(line.start))]\(clean(line.text))\n"
        }
        return out
    }

    /// Milliseconds as mm:ss.xx (hundredths, rounded down as players expect).
    static func stamp(_ ms: Int) -> String {
        let t = max(0, ms)
        return String(format: "%02d:%02d.%02d", t / 60000, (t / 1000) % 60, (t % 1000) / 10)
    }

    static func clean(_ s: String) -> String {
        s.replacingOccurrences(of: "\n", with: " ").replacingOccurrences(of: "\r", with: " ")
    }
}
