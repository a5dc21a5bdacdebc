import UpscaledCore
import UpscaledEngines

extension JobRunner {
    /// Records a job that ended for good (done, failed, quarantined) in the job history; the
    /// others (put back, paused) are not results yet.
    func remember(_ outcome: JobOutcome, of claim: Claim, seconds: Double, settings: JobSettings, engine: any UpscaleEngine) {
        guard let history else { return }
        let kind: HistoryEntry.Outcome
        switch outcome {
        case .done: kind = .done
        case .failed: kind = .failed
        case .quarantined: kind = .quarantined
        default: return
        }
        var entry = HistoryEntry(id: claim.record.id, outcome: kind, file: claim.relative.display, engine: engine.name,
                                 target: "\(settings.target.summary) \(engine.summary)", host: layout.hostID,
                                 finishedAt: WallClock.iso8601(), seconds: (seconds * 1000).rounded() / 1000)
        switch outcome {
        case .done(let output, let finished):
            entry.outputBase64 = layout.rootRelative(output).base64
            entry.originalBase64 = finished?.original
            entry.inputWidth = finished?.inputWidth
            entry.inputHeight = finished?.inputHeight
            entry.width = finished?.width
            entry.height = finished?.height
        case .failed(let code, let reason), .quarantined(let code, let reason):
            entry.code = code.rawValue
            entry.reason = reason
        default:
            break
        }
        history.record(entry)
    }
}
