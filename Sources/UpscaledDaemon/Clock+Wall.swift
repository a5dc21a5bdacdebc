import Foundation

/// Wall-clock helpers: file mtimes are wall-clock, so settling compares against the same clock.
public enum WallClock {
    public static func now() -> Double { Date().timeIntervalSince1970 }
    public static func iso8601() -> String { Date().ISO8601Format() }
    public static func iso8601(_ date: Date) -> String { date.ISO8601Format() }
}
