#!/usr/bin/env bash
# A host that depends on Strat the way a user's package would: by URL and a version.
# Clones the committed HEAD into a scratch folder, tags it, and builds and runs a tiny
# host package that names it `from:` that version over file://. Fails if the manifest
# has anything SwiftPM refuses in a versioned dependency (unsafeFlags, for one).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$root/.build-urlcheck"
rm -rf "$work/clone" "$work/host/Sources" "$work/host/Package.swift"
mkdir -p "$work/host/Sources/host"
git clone -q --no-local "$root" "$work/clone"
git -C "$work/clone" -c user.name=ci -c user.email=ci@localhost tag -a 0.2.0 -m "check" >/dev/null
cat > "$work/host/Package.swift" <<SWIFT
// swift-tools-version:6.0
import PackageDescription
let package = Package(
    name: "urlhost",
    dependencies: [.package(url: "file://$work/clone", from: "0.2.0")],
    targets: [.executableTarget(name: "host", dependencies: [.product(name: "StratKit", package: "clone")])]
)
SWIFT
cat > "$work/host/Sources/host/main.swift" <<'SWIFT'
import StratKit
let engine = Engine()
try engine.load(source: "let members = 262M\nlet churn = 3.8%\nlet lost = members * churn\n", path: "<url-host>")
let v = try engine.evaluate("lost")
struct WrongValue: Error { var value: Value }
guard let d = v.doubleValue, abs(d - 9_956_000) < 1e-6 else { throw WrongValue(value: v) }
print("url-host: StratKit by URL from 0.2.0 evaluated lost = \(v)")
SWIFT
cd "$work/host"
swift build -q
"$(swift build --show-bin-path)/host"
