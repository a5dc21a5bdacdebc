import ArgumentParser
import Foundation
import SystemPackage
import UpscaledCore
import UpscaledDaemon
import UpscaledLinux

extension Upscaled {
    /// `upscaled status`: what a running daemon is doing, from the status file it keeps.
    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show what the running daemon is doing.")

        @OptionGroup var options: SharedOptions

        @Flag(help: "Print the status as JSON, for scripts.")
        var json = false

        func run() throws {
            let config = try options.loadConfigOrExit()
            let bytes: [UInt8]
            do { bytes = try FileOperations.readAll(config.statusFile) } catch {
                // Several daemons on one root each write their own status: the others still show.
                Logging.fail("upscaled: no status at \(config.statusFile.display) (\(error)); is the daemon running as host \(config.hostID) with root \(config.root.display)?")
                if !json { Self.printOtherHosts(config) }
                throw ExitCode(3)
            }
            guard let snapshot = try? JSONDecoder().decode(StatusSnapshot.self, from: Data(bytes)) else {
                Logging.fail("upscaled: the status file \(config.statusFile.display) is not readable JSON")
                throw ExitCode(1)
            }
            let alive = kill(snapshot.pid, 0) == 0 || errno == EPERM
            if json {
                print(String(decoding: bytes, as: UTF8.self), terminator: "")
                return
            }
            print("""
                upscaled \(alive && snapshot.state != .stopped ? "running" : "not running") (pid \(snapshot.pid)) as host \(config.hostID), root \(config.root.display)
                  state:       \(snapshot.state.rawValue)\(alive || snapshot.state == .stopped ? "" : " (stale: the process is gone)")
                  mode:        \(snapshot.mode)
                  engine:      \(snapshot.engine) \(snapshot.target)
                  queued:      \(snapshot.queued)
                  in flight:   \(snapshot.inFlight)
                  done:        \(snapshot.done)
                  failed:      \(snapshot.failed)
                  quarantined: \(snapshot.quarantined)
                  overflows:   \(snapshot.overflows)
                  progress:    \(snapshot.progress.map { $0.map { "\($0.file) \($0.done)/\($0.total) tiles" }.joined(separator: ", ") } ?? "none")
                  last error:  \(snapshot.lastError ?? "none")
                  since:       \(snapshot.startedAt), updated \(snapshot.updatedAt)
                """)
            Self.printOtherHosts(config)
            if !alive && snapshot.state != .stopped { throw ExitCode(3) }
        }

        /// Their pids mean nothing here (other machines): what their folders show, and when.
        static func printOtherHosts(_ config: DaemonConfig) {
            let others = otherHosts(config)
            guard !others.isEmpty else { return }
            print("other hosts on this root (heartbeat age by this machine's clock; host_lease_s \(Int(config.hostLeaseSeconds)) s):")
            for line in others { print("  \(line)") }
        }

        /// One line per other host with a folder on the root: its heartbeat's age, its claims,
        /// whether the lease says it is dead (so the next look of a live host takes its work
        /// over), and what its status file last said.
        static func otherHosts(_ config: DaemonConfig) -> [String] {
            let layout = FolderLayout(config: config)
            let lease = HostLease(seconds: Double(config.hostLeaseSeconds))
            let now = Date().timeIntervalSince1970
            return layout.observePeers().map { peer in
                let other = layout.ofHost(peer.id)
                let beat = (try? FileOperations.statusIfPresent(other.heartbeat)?.modified).flatMap { $0 }
                var facts = [beat.map { "heartbeat \(Self.age(now - $0)) ago" } ?? "no heartbeat",
                             "\(other.claimCount()) claimed"]
                switch lease.verdict(peer, now: now) {
                case .nothingToTake: facts.append("holds no work")
                case .alive: facts.append(peer.lockHeld ? "alive (holds its lock)" : "alive")
                case .dead(let silence): facts.append("presumed dead: silent for \(Self.age(silence)) while holding work, taken over at a running host's next look")
                }
                if let bytes = try? FileOperations.readAll(other.statusFile),
                   let snapshot = try? JSONDecoder().decode(StatusSnapshot.self, from: Data(bytes)) {
                    facts.append("last status \(snapshot.state.rawValue): \(snapshot.queued) queued, \(snapshot.inFlight) in flight, "
                                 + "done \(snapshot.done), failed \(snapshot.failed), updated \(snapshot.updatedAt)")
                }
                return "\(peer.id): " + facts.joined(separator: "; ")
            }
        }

        /// "42 s", "7 min", "3 h": enough to tell a live host from a dead one.
        static func age(_ seconds: Double) -> String {
            let s = Int(max(0, seconds))
            if s < 120 { return "\(s) s" }
            if s < 7200 { return "\(s / 60) min" }
            return "\(s / 3600) h"
        }
    }
}
