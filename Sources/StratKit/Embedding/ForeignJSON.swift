// JSON forms shared by the library's non-Swift surfaces (the C API, the Python package on
// it): the same shapes the CLI writes, produced by the report's own writer so that a new
// field of a number (a distribution, say) reaches every surface at once.

extension Value {
    /// The value as reports write it: numbers as `{"value","unit","display"}`.
    package var reportJSON: String {
        var w = JSONWriter()
        ReportValue(self).write(&w)
        return w.output
    }
}

extension Change {
    /// `{"path","before","after"}`, an element of `strat whatif --format json`.
    package var json: String {
        var w = JSONWriter()
        w.beginObject()
        w.key("path"); w.string(path)
        w.key("before"); ReportValue(before).write(&w)
        w.key("after"); ReportValue(after).write(&w)
        w.endObject()
        return w.output
    }
}

/// The closest of `candidates` to a misspelt `name`, for "did you mean" hints.
package func closestName(_ name: String, among candidates: [String]) -> String? {
    closest(name, among: candidates)
}
