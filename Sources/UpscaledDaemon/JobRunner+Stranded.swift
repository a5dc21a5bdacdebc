import Foundation
import Logging
import Synchronization
import SystemPackage
import UpscaledCore
import UpscaledLinux

/// Claims stranded by a place that stopped answering (a network share gone: ENOTCONN, ESTALE,
/// EIO) in the middle of a job: the original could not be put back, the job's hidden temp not
/// removed. Both wait in this host's folder with their journal record, so nothing is lost; and
/// they are returned as soon as the folder answers again, when the pipeline resumes or a scan
/// of the inbox succeeds, instead of waiting for the next start.
extension JobRunner {
    /// Puts every stranded claim back into the inbox under its own name and removes its job's
    /// hidden temps. - Returns: how many went back; those that still cannot stay stranded.
    /// Blocking.
    @discardableResult
    func returnStranded() -> Int {
        let claims = stranded.withLock { pending in
            defer { pending.removeAll() }
            return pending
        }
        guard !claims.isEmpty else { return 0 }
        var returned = 0
        for claim in claims {
            do {
                // Its record says "claimed" as long as it is in our claims folder.
                if try FileOperations.statusIfPresent(claim.path) != nil { try putBack(claim) } else { try journal.remove(claim.record.id) }
                let parent = claim.relative.removingLastComponent()
                sweepTemps(tag: claim.record.id, in: [layout.outbox, layout.failed, layout.quarantine].map { layout.join($0, parent) })
                returned += 1
                logger.notice("put \(claim.relative.display) back into the inbox: its folder answers again")
            } catch {
                stranded.withLock { $0.append(claim) }
            }
        }
        return returned
    }

    /// Whether any claim waits to be put back (cheap: for every scan).
    var hasStranded: Bool { stranded.withLock { !$0.isEmpty } }
}
