import AsyncHTTPClient
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import SongEngine

/// The pieces the network-safety layer and the Explorer plug in. Defaults: the engine's plain image fetch, a
/// scheme-only webhook check, a plain AsyncHTTPClient transport, no extra routes.
public struct ServerHooks: Sendable {
    public var imageFetcher: any ImageURLFetcher
    public var webhookPolicy: any WebhookURLPolicy
    public var webhookTransport: any WebhookTransport
    /// Adds routes (e.g. `GET /`, the Endpoint Explorer) to the router before the app is built.
    public var extraRoutes: @Sendable (Router<BasicRequestContext>) -> Void
    /// Awaited by a worker after it claimed a task and before the engine renders it (tests hold a render there
    /// to stop the server mid-task deterministically, whatever the machine's load).
    var beforeRender: (@Sendable () async throws -> Void)?
    /// Free bytes on the volume of a folder (tests make the disk look full); nil = unknown.
    var freeDiskBytes: @Sendable (URL) -> Int64? = DiskSpace.freeBytes

    public init(imageFetcher: any ImageURLFetcher = EngineImageFetcher(),
                webhookPolicy: any WebhookURLPolicy = SchemeOnlyWebhookPolicy(),
                webhookTransport: any WebhookTransport = HTTPClientWebhookTransport(),
                extraRoutes: @escaping @Sendable (Router<BasicRequestContext>) -> Void = { _ in }) {
        self.imageFetcher = imageFetcher
        self.webhookPolicy = webhookPolicy
        self.webhookTransport = webhookTransport
        self.extraRoutes = extraRoutes
    }
}

/// Builds the whole server: store (recovered), engine, routes, workers and the webhook dispatcher. `chromasong
/// serve` runs it with `runService()` (SIGTERM/SIGINT shut it down gracefully); tests call it too.
public func buildApplication(configuration: ServerConfiguration, hooks: ServerHooks = ServerHooks(),
                             store: (any TaskStore)? = nil, logger: Logger? = nil) async throws
    -> some ApplicationProtocol
{
    var logger = logger ?? Logger(label: "chromasong.server")
    if logger.logLevel > .info, let level = ProcessInfo.processInfo.environment["LOG_LEVEL"].flatMap({ Logger.Level(rawValue: $0) }) {
        logger.logLevel = level
    }
    let fm = FileManager.default
    let data = configuration.dataDirectory
    for sub in ["", "uploads", "results"] {
        try fm.createDirectory(at: data.appendingPathComponent(sub), withIntermediateDirectories: true)
    }
    let results = data.appendingPathComponent("results")
    let store = try await openStore(configuration, given: store, logger: logger)
    // A render killed mid-way leaves its hidden staging folder: nothing in it was ever served; remove it. On shared
    // storage other nodes are rendering into theirs: only folders a day old are left over.
    let staleBefore = store.isShared ? Date().addingTimeInterval(-86_400) : Date.distantFuture
    for name in (try? fm.contentsOfDirectory(atPath: results.path)) ?? [] where name.hasPrefix(".") {
        let url = results.appendingPathComponent(name)
        let modified = (try? fm.attributesOfItem(atPath: url.path)[.modificationDate] as? Date) ?? Date.distantPast
        if modified < staleBefore { try? fm.removeItem(at: url) }
    }

    let engine = try ChromasongEngine(presetsDirectory: configuration.presetsDirectory)
    let speed = RenderSpeed()
    // Tenancy (docs/server.md): signed file URLs, per-key rate limits, retention.
    try configuration.checkTenancy()
    let signer = FileSigner(secret: try FileSigner.loadSecret(configured: configuration.fileSigningSecret,
                                                              dataDirectory: data))
    let payloads = Payloads(baseURL: configuration.baseURL, signer: signer, urlValidity: configuration.fileURLValidity,
                            retention: configuration.retention)
    try await recoverInterruptedTasks(store: store, payloads: payloads, maxAttempts: configuration.maxRenderAttempts,
                                      logger: logger)

    let router = Router(context: BasicRequestContext.self)
    router.add(middleware: ErrorBodyMiddleware())
    // Submissions whose bodies are being read hold admission slots too (`SubmissionGate`): /health reports them as
    // `receiving`, so an operator (and a test) can see an upload holding the queue before it is a task.
    let gate = SubmissionGate()
    // A role-all node's API wakes its own workers when it queues a task.
    let newWork = WorkSignal()
    let workerCount = configuration.role.renders ? configuration.workers : 0
    router.get("health") { _, _ in
        let counts = try await store.queueCounts()
        return JSONResponse(JSON.object([
            "status": .string("ok"), "queued": .int(counts.queued), "running": .int(counts.running),
            "receiving": .int(gate.count), "workers": .int(workerCount),
            "queue_limit": .int(configuration.queueLimit), "role": .string(configuration.role.rawValue), "node": .string(configuration.nodeName),
        ]))
    }
    let metrics = ServerMetrics()
    metrics.addRoute(to: router, store: store)
    let openAPI: @Sendable (Request, BasicRequestContext) -> Response = { _, _ in
        Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8"],
                 body: .init(byteBuffer: ByteBuffer(string: OpenAPIDocument.json)))
    }
    // The API (and the files it hands out) on api and all nodes; a worker node answers /health and /metrics only.
    if configuration.role.accepts {
        router.get("openapi.json", use: openAPI)
        router.get("api/public/v1/openapi.json", use: openAPI)
        let api = router.group("api/public/v1").add(middleware: APIKeyMiddleware(keys: Set(configuration.apiKeys)))
        if !configuration.apiKeys.isEmpty {
            api.add(middleware: RateLimitMiddleware(limiter: RateLimiter(), submit: configuration.submitRate,
                                                    read: configuration.readRate, keysConfigured: true))
        }
        APIController(store: store, engine: engine, configuration: configuration, hooks: hooks, speed: speed,
                      payloads: payloads, gate: gate, newWork: newWork).addRoutes(to: api)
        ResultFiles<BasicRequestContext>(store: store, resultsDirectory: results, signer: signer).addRoutes(to: router)
        StreamURLs<BasicRequestContext>(endpoint: PreviewStreamEndpoint(store: store, dataDirectory: data, payloads: payloads),
                                        signer: signer).addRoutes(to: router)
        hooks.extraRoutes(router)
    }

    var services: [any Service] = []
    if configuration.role.renders {
        var workerConfiguration = configuration
        workerConfiguration.workers = workerCount
        services.append(WorkerService(
            store: store, engine: engine, configuration: workerConfiguration, speed: speed, payloads: payloads,
            executor: RenderExecutor(threads: min(16, max(1, workerCount * 2))), logger: logger,
            beforeRender: hooks.beforeRender, freeDiskBytes: hooks.freeDiskBytes, metrics: metrics, newWork: newWork))
        // Claims whose worker died are taken back by the live workers, a few times per lease.
        services.append(LeaseSweepService(
            store: store, payloads: payloads, maxAttempts: configuration.maxRenderAttempts,
            interval: .seconds(max(0.05, min(5, configuration.leaseSeconds / 3))), metrics: metrics, logger: logger))
    }
    if configuration.role.accepts {
        // Webhooks and retention on the nodes that face the network; the outbox hands a delivery to one at a time.
        services.append(WebhookDispatcher(store: store, transport: hooks.webhookTransport,
                                          secret: configuration.webhookSecret, schedule: configuration.webhookRetry,
                                          logger: logger, metrics: metrics))
        services.append(RetentionService(
            retention: Retention(store: store, dataDirectory: data, retention: configuration.retention, logger: logger),
            interval: .seconds(max(1, configuration.retentionSweepInterval))))
    }
    if services.isEmpty { services.append(IdleService()) }
    let host = configuration.effectiveHost
    if configuration.apiKeys.isEmpty {
        logger.warning("no API key configured: listening on loopback only (\(host)); set CHROMASONG_API_KEYS or --api-key to accept other hosts")
    }
    logger.info("chromasong server", metadata: [
        "address": "\(host):\(configuration.port)", "public_url": "\(configuration.baseURL)",
        "data": "\(data.path)", "workers": "\(configuration.workers)", "queue_limit": "\(configuration.queueLimit)",
        "allow_private_networks": "\(configuration.allowPrivateNetworks)", "role": "\(configuration.role.rawValue)",
        "store": "\(store.isShared ? (store as? PostgresTaskStore)?.location ?? "shared" : "sqlite")",
    ])
    return Application(
        router: router,
        server: configuration.connectionDeadlines.serverBuilder(logger: logger),
        configuration: .init(address: .hostname(host, port: configuration.port), serverName: "Chromasong"),
        services: services,
        logger: logger)
}

/// Start-up recovery: tasks left IN_PROGRESS belonged to a process that died. Each counts a failed attempt
/// (`AttemptFailure.serverStopped`) and goes back to the queue, unless its attempts are used up: a task whose render
/// takes the process down (a crash, an out-of-memory kill) would otherwise be claimed forever (issue 9, finding 10).
/// Such a task is FAILED with the reason its attempt log gives and its failure webhooks, in the same transaction.
func recoverInterruptedTasks(store: any TaskStore, payloads: Payloads, maxAttempts: Int, logger: Logger) async throws {
    let (requeued, failed) = try await store.recoverInterrupted(now: Date(), maxAttempts: maxAttempts,
                                                                final: payloads.attemptsUsedUp)
    if requeued > 0 { logger.notice("put \(requeued) interrupted task(s) back in the queue") }
    if failed > 0 { logger.warning("\(failed) interrupted task(s) used up their \(maxAttempts) attempts: FAILED") }
}

/// The store the configuration names: PostgreSQL at `database`, else SQLite in the data directory.
func openStore(_ configuration: ServerConfiguration, given: (any TaskStore)? = nil, logger: Logger) async throws
    -> any TaskStore
{
    if let given { return given }
    if let url = configuration.database {
        return try await PostgresTaskStore(url: url, leaseSeconds: configuration.leaseSeconds,
                                           node: configuration.nodeName, logger: logger)
    }
    return try SQLiteTaskStore(path: configuration.dataDirectory.appendingPathComponent("chromasong.sqlite").path,
                               leaseSeconds: configuration.leaseSeconds, node: configuration.nodeName)
}

/// Keeps a node with nothing else to run alive until shutdown.
struct IdleService: Service {
    func run() async throws { try? await gracefulShutdown() }
}
