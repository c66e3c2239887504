import ArgumentParser
import ChromasongServer
import Foundation

/// `chromasong render-worker` (hidden): one render in a process of its own, for `chromasong serve`, which starts it,
/// writes the job on its stdin and reads the result on its stdout (docs/server.md, "Worker processes").
struct RenderWorker: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "render-worker",
        abstract: "Render one server task in an isolated process (started by `chromasong serve`; not for direct use).",
        shouldDisplay: false)

    @Option(help: "Memory bound in MiB (RLIMIT_DATA), set before anything else; 0 = none.")
    var memoryLimitMib: Int = 0

    func run() async throws {
        let status = await RenderWorkerChild.run(memoryLimitMiB: memoryLimitMib)
        Foundation.exit(status)
    }
}
