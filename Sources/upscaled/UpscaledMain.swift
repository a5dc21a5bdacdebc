import ArgumentParser
import Foundation
import UpscaledLinux

/// The program's entry point. Synchronous on purpose: the signal mask and Swift's executors must
/// be in place before the first thread or task exists (see `SignalRouter` and
/// `DispatchFreeConcurrency`); then the command runs as a main-actor task and the main thread
/// serves the main actor until the command exits.
@main
enum UpscaledMain {
    static func main() {
        SignalRouter.start()
        DispatchFreeConcurrency.install()
        Task { @MainActor in
            await Upscaled.main()
            exit(EXIT_SUCCESS)
        }
        DispatchFreeConcurrency.runMainActor()
    }
}
