import Foundation
import Logging
import Synchronization
import SystemPackage
import UpscaledCore
import UpscaledLinux

/// Claims stranded by a place that stopped answering (a network share gone: ENOTCONN, ESTALE,
/// EIO) in the middle of a job: an original that could not be put back (and its job's hidden
/// temp, not removed), or the original of a job whose result is out but which could not be
/// archived. Each waits in this host's claims folder with its journal record, so nothing is
/// lost; and each is finished as soon as the folder answers again, when a scan of the inbox
/// runs, instead of waiting for the next start.
enum StrandedClaim: Sendable {
    /// Nothing was filed: the original goes back into the inbox under its own name.
    case putBack(JobRunner.Claim)
    /// The result is out: the original is archived or deleted (`after_success`), never put back.
    case dispose(JobRunner.Claim, DaemonConfig.AfterSuccess)

    var claim: JobRunner.Claim {
        switch self {
        case .putBack(let claim), .dispose(let claim, _): claim
        }
    }
}

extension JobRunner {
    /// Finishes every stranded claim it can. - Returns: how many were finished; those that
    /// still cannot be stay stranded. Blocking.
    @discardableResult
    func returnStranded() -> Int {
        let pending = stranded.withLock { pending in
            defer { pending.removeAll() }
            return pending
        }
        var finished = 0
        for item in pending {
            let claim = item.claim
            do {
                let present = try FileOperations.statusIfPresent(claim.path) != nil
                switch item {
                case .putBack:
                    if present { try putBack(claim) } else { try journal.remove(claim.record.id) }
                    sweepJobTemps(claim.record.id, relative: claim.relative)
                    logger.notice("put \(claim.relative.display) back into the inbox: its folder answers again")
                case .dispose(_, let afterSuccess):
                    if present { try disposeOriginal(claim, afterSuccess: afterSuccess) }
                    try journal.remove(claim.record.id)
                    logger.notice("\(afterSuccess == .delete ? "deleted" : "archived") the original of \(claim.relative.display): its folder answers again")
                }
                finished += 1
            } catch {
                stranded.withLock { $0.append(item) }
            }
        }
        return finished
    }

    /// Whether any claim waits to be finished (cheap: for every scan).
    var hasStranded: Bool { stranded.withLock { !$0.isEmpty } }
}
