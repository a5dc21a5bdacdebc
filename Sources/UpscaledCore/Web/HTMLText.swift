/// Text made safe for HTML: every character with a meaning in markup or in a quoted attribute
/// becomes an entity. Every name, reason and path the page shows goes through here; a file
/// named `<script>alert(1)</script>.png` shows as text.
public enum HTMLText {
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text.unicodeScalars {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            case "`": out += "&#96;"
            default:
                // Control characters (a name may hold any byte but / and NUL) show as U+FFFD.
                if character.value < 0x20 || character.value == 0x7F { out += "\u{FFFD}" } else { out.unicodeScalars.append(character) }
            }
        }
        return out
    }

    /// A query value, percent-encoded (for links that carry a search).
    public static func queryValue(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = String(byte, radix: 16, uppercase: true)
                out += "%" + (hex.count == 1 ? "0" + hex : hex)
            }
        }
        return out
    }
}
