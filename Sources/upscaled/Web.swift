import ArgumentParser
import Foundation
import SystemPackage
import UpscaledCore
import UpscaledDaemon
import UpscaledLinux
import UpscaledWeb

extension Upscaled {
    /// `upscaled web`: the running daemon's page, with a one-time login link for a browser and
    /// the bearer header for scripts.
    struct Web: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the page's address and a one-time login link (valid ten minutes).")

        @OptionGroup var options: SharedOptions

        func run() throws {
            let config = try options.loadConfigOrExit()
            guard let bytes = try? FileOperations.readAll(config.statusFile),
                  let snapshot = try? JSONDecoder().decode(StatusSnapshot.self, from: Data(bytes)),
                  snapshot.state != .stopped, kill(snapshot.pid, 0) == 0 || errno == EPERM else {
                Logging.fail("upscaled: no daemon is running as host \(config.hostID) on \(config.root.display); "
                             + "start it (systemctl --user start upscaled), then run this again")
                throw ExitCode(3)
            }
            // What the running daemon says it listens on wins over this configuration: it may
            // have been started with --web-listen, or before the file changed.
            guard let address = snapshot.web else {
                if config.web.listen == .off {
                    Logging.fail("upscaled: the page is off (web.listen = \"off\"); set [web] listen in config.toml, "
                                 + "then restart the daemon (systemctl --user restart upscaled)")
                } else {
                    Logging.fail("upscaled: the daemon (pid \(snapshot.pid)) runs without its page: it could not listen "
                                 + "(the address taken?) or was started with --web-listen off; "
                                 + "the journal says which (journalctl --user -u upscaled)")
                }
                throw ExitCode(1)
            }
            let code: String
            do { code = try LoginCodes(layout: FolderLayout(config: config)).make() } catch {
                Logging.fail("upscaled: cannot make a login code: \(error)")
                throw ExitCode(1)
            }
            let token = snapshot.webTokenFile ?? config.web.tokenFile
            if address.hasPrefix("/") {
                print("""
                    The page listens on the Unix socket \(address) (for a reverse proxy in front of it).
                    Log in once, within ten minutes, through the proxy: <proxy address>/login?code=\(code)
                    Scripts: curl --unix-socket \(address) -H "Authorization: Bearer $(cat \(token))" http://localhost/api/status
                    """)
            } else {
                print("""
                    The page: \(address)/
                    Log in once, within ten minutes: \(address)/login?code=\(code)
                    Scripts: curl -H "Authorization: Bearer $(cat \(token))" \(address)/api/status
                    """)
            }
        }
    }
}
