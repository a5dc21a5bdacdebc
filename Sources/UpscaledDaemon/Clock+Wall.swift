import Foundation

/// Wall-clock helpers: file mtimes are wall-clock, so settling compares against the same clock.
enum WallClock {
    static func now() -> Double { Date().timeIntervalSince1970 }
    static func iso8601() -> String { Date().ISO8601Format() }
}
