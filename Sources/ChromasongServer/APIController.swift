import Foundation
import Hummingbird
import Logging
import SongEngine
import VoiceConvert

/// Requires `Authorization: <key>` or `Authorization: Bearer <key>` when keys are configured.
struct APIKeyMiddleware<Context: RequestContext>: RouterMiddleware {
    let keys: Set<String>

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        guard !keys.isEmpty else { return try await next(request, context) }
        guard let given = Tenant.presentedKey(request), !given.isEmpty else {
            throw APIError(.unauthorized, "An API key is required in the Authorization header.")
        }
        guard keys.contains(given) else { throw APIError(.unauthorized, "The API key is not valid.") }
        return try await next(request, context)
    }
}

/// The endpoints of contract §4 under /api/public/v1.
struct APIController<Context: RequestContext> {
    let store: any TaskStore
    let engine: ChromasongEngine
    let configuration: ServerConfiguration
    let hooks: ServerHooks
    let speed: RenderSpeed
    let payloads: Payloads
    let gate: SubmissionGate
    /// Rung after each task is queued, for this node's idle workers (`WorkSignal`).
    var newWork: WorkSignal? = nil

    var uploadsDirectory: URL { configuration.dataDirectory.appendingPathComponent("uploads") }
    var resultsDirectory: URL { configuration.dataDirectory.appendingPathComponent("results") }

    func tenant(_ request: Request) -> String { Tenant.of(request, keysConfigured: !configuration.apiKeys.isEmpty) }

    func addRoutes(to group: RouterGroup<Context>) {
        group.post("image_to_song", use: submit)
        group.get("byId", use: byId)
        group.get("stream", use: stream)
        group.get("getAllVoices", use: allVoices)
        group.get("searchVoices", use: searchVoices)
    }

    struct Accepted: Encodable, Sendable {
        var success = true
        var message = "Message Published To Queue"
        var task_id: String
        var conversion_ids: [String]
        /// Extension (docs/server.md "Preview stream"): each conversion's signed stream URL.
        var stream_urls: [String] = []
        var eta: Int
        var credit_estimate = 0

        func json() -> JSON {
            var o: [String: JSON] = [
                "success": .bool(success), "message": .string(message), "task_id": .string(task_id),
                "eta": .int(eta), "credit_estimate": .int(credit_estimate),
            ]
            for (i, c) in conversion_ids.enumerated() { o["conversion_id_\(i + 1)"] = .string(c) }
            for (i, u) in stream_urls.enumerated() { o["stream_url_\(i + 1)"] = .string(u) }
            return .object(o)
        }
    }

    @Sendable func submit(_ request: Request, context: Context) async throws -> Response {
        // Load shedding: when the submissions already being read, then those plus the waiting tasks, fill the
        // queue, refuse before parsing anything (the first check needs no store round trip).
        guard gate.reserve(queued: 0, limit: configuration.queueLimit) else { throw await shed(request) }
        defer { gate.release() }
        if try await store.queueCounts().queued + gate.count > configuration.queueLimit { throw await shed(request) }
        let raw = try await RawSubmission.read(request)
        let idempotencyKey = try Idempotency.key(request)
        let valid = try raw.validate(engine: engine)
        let owner = tenant(request)
        let taskRequest = TaskRequest(valid.request, imageURL: valid.imageURL, webhookURL: valid.webhookURL)
        let claim = idempotencyKey.map {
            IdempotencyClaim(key: $0, fingerprint: Idempotency.fingerprint(taskRequest, image: raw.image),
                             window: Idempotency.window)
        }
        // A key seen before answers with its task (or 422 for another request) before any further work.
        if let claim, let prior = try await store.idempotentTask(owner: owner, key: claim.key,
                                                                 notBefore: Date().addingTimeInterval(-claim.window)) {
            return try await replay(prior.taskId, fingerprint: prior.fingerprint, claim: claim, request: request, context: context)
        }
        if let hook = valid.webhookURL {
            do { try await hooks.webhookPolicy.checkWebhookURL(hook) } catch { throw APIError([error]) }
        }
        // Refuse early when the queue is full (the insert checks again, atomically).
        let counts = try await store.queueCounts()
        if counts.queued >= configuration.queueLimit { throw queueFull() }
        var bytes: Data
        if let url = valid.imageURL {
            do { bytes = try await hooks.imageFetcher.fetchImage(url) } catch { throw APIError([error]) }
        } else {
            bytes = raw.image ?? Data()
        }
        let field = valid.imageURL == nil ? "image_file" : "image_url"
        let taskId = UUID().uuidString.lowercased()
        let conversionIds = (0..<valid.request.versions).map { _ in UUID().uuidString.lowercased() }
        let imagePath = uploadsDirectory.appendingPathComponent("\(taskId).img")
        // Decoding (up to 40 MP) and the file write are blocking work: off Swift's cooperative pool, which the
        // HTTP handlers of every other request share (two threads on a two-core machine).
        let image = bytes
        let uploads = uploadsDirectory
        try await Blocking.run {
            do {
                // Decoding proves the image is whole (422 for corrupt, unsupported or too many pixels).
                _ = try ImageLoader.decode(image, field: field)
            } catch let error as RequestError {
                throw APIError([error])
            }
            try FileManager.default.createDirectory(at: uploads, withIntermediateDirectories: true)
            try image.write(to: imagePath, options: .atomic)
        }
        bytes = Data()
        var task = NewTask(id: taskId, conversionIds: conversionIds, request: taskRequest, imagePath: imagePath.path)
        task.owner = owner
        task.uploadBytes = image.count
        task.idempotency = claim
        let ahead: Int
        do {
            ahead = try await store.enqueue(task, queueLimit: configuration.queueLimit)
        } catch StoreError.queueFull {
            try? FileManager.default.removeItem(at: imagePath)
            throw queueFull()
        } catch StoreError.idempotencyKeyUsed(let prior, let fingerprint) where claim != nil {
            // The same key raced in from another request and won: answer as a repeat.
            try? FileManager.default.removeItem(at: imagePath)
            return try await replay(prior, fingerprint: fingerprint, claim: claim!, request: request, context: context)
        } catch {
            try? FileManager.default.removeItem(at: imagePath)
            throw error
        }
        newWork?.signal()
        // The user's lyrics decide the length when there are any (an upper bound, computed by validate already).
        let eta = speed.eta(ahead: ahead, workers: configuration.workers,
                            duration: engine.lyricsLength(valid.request)?.seconds ?? valid.request.duration,
                            versions: valid.request.versions)
        var log = context.logger
        log[metadataKey: "task_id"] = "\(taskId)"
        log.info("task queued", metadata: ["ahead": "\(ahead)", "eta": "\(eta)", "versions": "\(valid.request.versions)"])
        let streams = conversionIds.map { payloads.streamURL(taskId: taskId, conversionId: $0, finishedAt: nil) }
        return try JSONResponse(Accepted(task_id: taskId, conversion_ids: conversionIds, stream_urls: streams, eta: eta).json())
            .response(from: request, context: context)
    }

    /// The answer to a repeated Idempotency-Key: the original task's ids (its eta now), or 422 when the key
    /// came with another request.
    func replay(_ taskId: String, fingerprint: String, claim: IdempotencyClaim, request: Request, context: Context)
        async throws -> Response
    {
        guard fingerprint == claim.fingerprint else { throw Idempotency.conflict(taskId: taskId) }
        guard let task = try await store.task(id: taskId) else { throw Idempotency.conflict(taskId: taskId) }
        var eta = 0
        if task.status == .inQueue || task.status == .inProgress {
            let counts = try await store.queueCounts()
            eta = speed.eta(ahead: max(0, counts.queued + counts.running - 1), workers: configuration.workers,
                            duration: task.request.duration, versions: task.request.versions)
        }
        var log = context.logger
        log[metadataKey: "task_id"] = "\(taskId)"
        log.info("idempotent repeat answered with the original task")
        var response = try JSONResponse(Accepted(task_id: taskId, conversion_ids: task.conversionIds,
                                                 stream_urls: payloads.streamURLs(task) ?? [], eta: eta).json())
            .response(from: request, context: context)
        response.headers[Idempotency.replayedHeader] = "true"
        return response
    }

    /// The 429 for a request refused before its body was parsed: the body is drained unparsed first (bounded by
    /// the upload limit), so the client reads the answer instead of a connection reset.
    func shed(_ request: Request) async -> APIError {
        try? await RawSubmission.discard(request.body, limit: ImageLoader.maxBytes + RawSubmission.multipartOverhead)
        return queueFull()
    }

    func queueFull() -> APIError {
        var e = APIError(.tooManyRequests,
                         "The queue is full (\(configuration.queueLimit) tasks waiting); try again later.")
        e.headers[.retryAfter] = "30"
        return e
    }

    @Sendable func byId(_ request: Request, context: Context) async throws -> Response {
        let q = request.uri.queryParameters
        if let type = q["conversionType"].map(String.init), !type.isEmpty, type.uppercased() != "IMAGE_TO_SONG" {
            throw APIError([RequestError(field: "conversionType", message: "must be IMAGE_TO_SONG, got \"\(type.prefix(40))\"")])
        }
        let taskId = q["task_id"].map(String.init) ?? ""
        let conversionId = q["conversion_id"].map(String.init) ?? ""
        // Another tenant's task answers exactly as an unknown id.
        let owner = tenant(request)
        var task: StoredTask
        if !taskId.isEmpty {
            guard let t = try await store.task(id: taskId), t.owner == owner else {
                throw APIError(.notFound, "No task with task_id \(taskId.prefix(80)).")
            }
            task = t
        } else if !conversionId.isEmpty {
            guard let t = try await store.task(conversionId: conversionId), t.owner == owner else {
                throw APIError(.notFound, "No task with conversion_id \(conversionId.prefix(80)).")
            }
            task = t
        } else {
            throw APIError([RequestError(field: "task_id", message: "task_id or conversion_id is required")])
        }
        if task.resultBytes == nil, task.filesExpiredAt == nil, task.status == .completed || task.status == .failed {
            // Disk use of the results, measured once (the retention sweep measures tasks nobody asked about).
            let folder = resultsDirectory.appendingPathComponent(task.id)
            let bytes = try await Blocking.run { Retention.directoryBytes(folder) }
            try await store.recordResultBytes(taskId: task.id, bytes: bytes)
            task.resultBytes = bytes
        }
        let body: JSON = .object(["success": .bool(true), "conversion": payloads.conversion(task)])
        return try JSONResponse(body).response(from: request, context: context)
    }

    func paging(_ request: Request) throws -> (limit: Int, page: Int) {
        let q = request.uri.queryParameters
        var problems: [RequestError] = []
        var limit = 20
        var page = 0
        if let raw = q["limit"].map(String.init), !raw.isEmpty {
            if let v = Int(raw), (1...100).contains(v) { limit = v } else {
                problems.append(RequestError(field: "limit", message: "must be an integer 1...100, got \"\(raw.prefix(20))\""))
            }
        }
        if let raw = q["page"].map(String.init), !raw.isEmpty {
            if let v = Int(raw), (0...1_000_000).contains(v) { page = v } else {
                problems.append(RequestError(field: "page", message: "must be an integer 0...1000000, got \"\(raw.prefix(20))\""))
            }
        }
        if !problems.isEmpty { throw APIError(problems) }
        return (limit, page)
    }

    func voicePage(_ voices: [Voice], limit: Int, page: Int) -> JSON {
        let start = min(voices.count, page * limit)
        let slice = voices[start..<min(voices.count, start + limit)]
        return .object([
            "success": .bool(true),
            "voices": .array(slice.map { .object(["voice_id": .string($0.id), "voice_name": .string($0.name)]) }),
            "limit": .int(limit), "page": .int(page), "total": .int(voices.count),
        ])
    }

    @Sendable func allVoices(_ request: Request, context: Context) async throws -> Response {
        let (limit, page) = try paging(request)
        return try JSONResponse(voicePage(engine.voices.voices, limit: limit, page: page))
            .response(from: request, context: context)
    }

    @Sendable func searchVoices(_ request: Request, context: Context) async throws -> Response {
        let (limit, page) = try paging(request)
        let query = request.uri.queryParameters["query"].map(String.init)?.trimmingCharacters(in: .whitespaces) ?? ""
        do { try TextLimit(field: "query", scalars: 100).check(query) } catch { throw APIError([error]) }
        let found = query.isEmpty ? engine.voices.voices : engine.voices.search(query)
        return try JSONResponse(voicePage(found, limit: limit, page: page)).response(from: request, context: context)
    }
}
