// swift-tools-version:6.1
// The framework's ceiling on this machine: a Hummingbird server that answers every request with
// a fixed 202 and a short JSON body, nothing read, checked or stored. bench/run.sh measures it in
// the same run as Rebind, which uses the same Hummingbird version and toolchain.
import PackageDescription

let package = Package(
    name: "hello",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1")
    ],
    targets: [
        .executableTarget(
            name: "hello",
            dependencies: [.product(name: "Hummingbird", package: "hummingbird")]
        )
    ]
)
