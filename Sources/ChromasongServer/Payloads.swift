import Foundation
import SongEngine

/// A JSON value for bodies whose keys depend on the task (conversion_id_1, conversion_id_2, ...).
enum JSON: Encodable, Sendable, Equatable {
    case string(String), int(Int), double(Double), bool(Bool), null
    case array([JSON]), object([String: JSON])

    func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .string(let v): try c.encode(v)
        case .int(let v): try c.encode(v)
        case .double(let v): try c.encode(v)
        case .bool(let v): try c.encode(v)
        case .null: try c.encodeNil()
        case .array(let v): try c.encode(v)
        case .object(let v): try c.encode(v)
        }
    }

    static func optional(_ s: String?) -> JSON { s.map(JSON.string) ?? .null }

    func data() -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(self)) ?? Data("null".utf8)
    }
}

/// Builds the contract's bodies (§4) for byId and the webhooks from a stored task.
struct Payloads {
    /// Absolute base of the server, without a trailing slash.
    var baseURL: String
    /// Signs every file URL (nil: plain URLs, which `/files` refuses; tests of the payload shapes only).
    var signer: FileSigner? = nil
    /// Seconds a handed-out file URL stays valid, never past the task's retention.
    var urlValidity: Double = 7 * 86_400
    /// Seconds after a task finished when its files are deleted (0: kept forever).
    var retention: Double = 7 * 86_400
    var now: @Sendable () -> Date = { Date() }

    /// Unix time a file URL made now for `task` expires: the validity from now, capped at the task's deletion.
    func expiry(_ task: StoredTask) -> Int { expiry(finishedAt: task.finishedAt) }

    /// The same for a task that finished at `finishedAt` (nil: not yet).
    func expiry(finishedAt: Date?) -> Int {
        let t = now()
        var end = t.timeIntervalSince1970 + urlValidity
        if retention > 0 { end = min(end, (finishedAt ?? t).timeIntervalSince1970 + retention) }
        return Int(end.rounded(.down))
    }

    func fileURL(_ task: StoredTask, _ relativePath: String) -> String {
        let plain = "\(baseURL)/files/\(task.id)/\(relativePath)"
        guard let signer else { return plain }
        return plain + "?" + signer.query(taskId: task.id, path: relativePath, expires: expiry(task))
    }

    /// The signed URL of a conversion's preview stream (docs/server.md "Preview stream"), playable without a key.
    func streamURL(taskId: String, conversionId: String, finishedAt: Date?) -> String {
        let path = PreviewStreamEndpoint.signedPath(conversionId: conversionId)
        let plain = "\(baseURL)/streams/\(taskId)/\(conversionId).wav"
        guard let signer else { return plain }
        return plain + "?" + signer.query(taskId: taskId, path: path, expires: expiry(finishedAt: finishedAt))
    }

    /// Every conversion's stream URL, in order; none once the task failed or its files were deleted.
    func streamURLs(_ task: StoredTask) -> [String]? {
        guard task.status != .failed, task.filesExpiredAt == nil else { return nil }
        return task.conversionIds.map { streamURL(taskId: task.id, conversionId: $0, finishedAt: task.finishedAt) }
    }

    /// The delivered audio of a version: its MP3 when rendered, else the first format rendered.
    func conversionPath(_ task: StoredTask, _ v: Manifest.Version) -> String? {
        let mix = v.files.mix
        let rel = mix["mp3"] ?? task.request.formats.compactMap { mix[$0.rawValue] }.first ?? mix.values.sorted().first
        return rel.map { fileURL(task, $0) }
    }

    func wavPath(_ task: StoredTask, _ v: Manifest.Version) -> String? {
        v.files.mix["wav"].map { fileURL(task, $0) }
    }

    /// The line array as the JSON string the hosted API sends.
    static func timestampedString(_ lines: [Manifest.LyricLine]?) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(lines ?? [])) ?? Data("[]".utf8), as: UTF8.self)
    }

    static func timestamp(_ date: Date) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.string(from: date)
    }

    /// `byId`'s `conversion` object.
    func conversion(_ task: StoredTask) -> JSON {
        var o: [String: JSON] = [
            "task_id": .string(task.id),
            "status": .string(task.status.rawValue),
            "status_msg": .string(statusMessage(task)),
            "createdAt": .string(Self.timestamp(task.createdAt)),
            "updatedAt": .string(Self.timestamp(task.updatedAt)),
            "title": .null, "music_style": .null, "key": .null, "bpm": .null,
            "album_cover_path": .null, "album_cover_thumbnail": .null,
        ]
        let streams = streamURLs(task)
        for (i, cid) in task.conversionIds.enumerated() {
            let n = i + 1
            o["conversion_id_\(n)"] = .string(cid)
            // Extension (docs/server.md "Preview stream"): the audio while it renders, then the delivered audio.
            o["stream_url_\(n)"] = streams.map { .string($0[i]) } ?? .null
            for k in ["conversion_path", "conversion_path_wav", "conversion_duration", "lyrics", "lyrics_timestamped"] {
                o["\(k)_\(n)"] = .null
            }
        }
        // Extension (docs/server.md): disk use and retention of the task's files.
        var storage: [String: JSON] = [
            "upload_bytes": task.uploadBytes.map(JSON.int) ?? .null,
            "result_bytes": task.resultBytes.map(JSON.int) ?? .null,
            "files_expired": .bool(task.filesExpiredAt != nil),
            "files_expire_at": .null,
        ]
        if let gone = task.filesExpiredAt {
            storage["files_expire_at"] = .string(Self.timestamp(gone))
        } else if retention > 0, let finished = task.finishedAt {
            storage["files_expire_at"] = .string(Self.timestamp(finished.addingTimeInterval(retention)))
        }
        o["storage"] = .object(storage)
        let filesKept = task.filesExpiredAt == nil
        if let m = task.manifest, task.status == .completed {
            o["title"] = .string(m.title)
            o["album_cover_path"] = filesKept ? .string(fileURL(task, m.cover)) : .null
            o["album_cover_thumbnail"] = filesKept ? .string(fileURL(task, m.coverThumbnail)) : .null
            if let v1 = m.versions.first {
                o["music_style"] = .string(v1.style)
                o["key"] = .string(v1.key)
                o["bpm"] = .int(v1.bpm)
            }
            for (i, v) in m.versions.enumerated() {
                let n = i + 1
                o["conversion_path_\(n)"] = filesKept ? .optional(conversionPath(task, v)) : .null
                o["conversion_path_wav_\(n)"] = filesKept ? .optional(wavPath(task, v)) : .null
                o["conversion_duration_\(n)"] = .double(v.duration)
                o["lyrics_\(n)"] = .optional(v.lyrics)
                o["lyrics_timestamped_\(n)"] = v.lyricsTimestamped.map { .string(Self.timestampedString($0)) } ?? .null
            }
        }
        return .object(o)
    }

    func statusMessage(_ task: StoredTask) -> String {
        switch task.status {
        case .inQueue:
            task.statusMessage.isEmpty ? "Waiting in the queue" : "Waiting in the queue (\(PublicMessage.scrub(task.statusMessage)))"
        case .inProgress: "Rendering"
        case .completed:
            task.filesExpiredAt.map { "Completed; the files were deleted on \(Self.day($0)) after the retention period" }
                ?? "Completed"
        // Never a server path, whatever the stored message says (tasks failed by older versions included).
        case .failed: PublicMessage.scrub(task.statusMessage)
        }
    }

    static func day(_ date: Date) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withFullDate]
        return f.string(from: date)
    }

    /// The webhooks of a completed task: one conversion per version, one lyrics per version when the request
    /// has vocals, one cover.
    func completionWebhooks(_ task: StoredTask, manifest m: Manifest, url: String) -> [NewWebhook] {
        var done = task
        done.manifest = m
        done.status = .completed
        var hooks: [NewWebhook] = []
        for v in m.versions {
            let body: JSON = .object([
                "success": .bool(true), "subtype": .string("music_ai"), "conversion_type": .string("IMAGE_TO_SONG"),
                "task_id": .string(task.id), "conversion_id": .string(v.conversionId),
                "conversion_path": .optional(conversionPath(done, v)), "conversion_path_wav": .optional(wavPath(done, v)),
                "conversion_duration": .double(v.duration), "is_flagged": .bool(false), "reason": .string(""),
                "title": .string(m.title), "lyrics": .string(v.lyrics ?? ""),
                "lyrics_timestamped": .string(Self.timestampedString(v.lyricsTimestamped)),
            ])
            hooks.append(NewWebhook(kind: "conversion", url: url, payload: body.data()))
        }
        if task.request.song.wantsVocals {  // an instrumental render ("no vocals" in the prompt too) has no lyrics
            for v in m.versions {
                let body: JSON = .object([
                    "success": .bool(true), "subtype": .string("lyrics_timestamped"), "task_id": .string(task.id),
                    "conversion_id": .string(v.conversionId),
                    "lyrics_timestamped": .string(Self.timestampedString(v.lyricsTimestamped)),
                ])
                hooks.append(NewWebhook(kind: "lyrics", url: url, payload: body.data()))
            }
        }
        var cover: [String: JSON] = [
            "success": .bool(true), "subtype": .string("album_cover_generation"), "task_id": .string(task.id),
            "image_path": .string(fileURL(done, m.cover)),
        ]
        for (i, cid) in task.conversionIds.enumerated() { cover["conversion_id_\(i + 1)"] = .string(cid) }
        hooks.append(NewWebhook(kind: "cover", url: url, payload: JSON.object(cover).data()))
        return hooks
    }

    /// A task taken back with no attempt left: its FAILED message from its failure log, and its failure webhooks
    /// (none without a webhook_url). Start-up recovery and the lease sweep both end a task this way.
    func attemptsUsedUp(_ task: StoredTask) -> (message: String, webhooks: [NewWebhook]) {
        let reason = AttemptFailure.finalMessage(task.failureLog)
        return (reason, task.request.webhookURL.map { failureWebhooks(task, reason: reason, url: $0) } ?? [])
    }

    /// One failure webhook per version; the reason never carries a server path.
    func failureWebhooks(_ task: StoredTask, reason: String, url: String) -> [NewWebhook] {
        let reason = PublicMessage.scrub(reason)
        return task.conversionIds.map { cid in
            let body: JSON = .object([
                "success": .bool(false), "task_id": .string(task.id), "conversion_id": .string(cid),
                "status": .string("FAILED"), "reason": .string(reason),
            ])
            return NewWebhook(kind: "failure", url: url, payload: body.data())
        }
    }
}
