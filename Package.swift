// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "Rebind",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "rebind", targets: ["rebind"]),
        .library(name: "RebindApp", targets: ["RebindApp"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
    ],
    targets: [
        // Pure domain: events, the reason classifier, incidents and grouping. Foundation only.
        .target(name: "RebindCore"),

        // libcurl, through a shim that gives the variadic setopt typed wrappers.
        .systemLibrary(
            name: "CCurl",
            pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]
        ),
        // The HTTP client every outbound call goes through.
        .target(
            name: "RebindHTTP",
            dependencies: [
                "CCurl", "RebindCore",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // HMAC signatures (Standard Webhooks) and constant-time comparison.
        .target(
            name: "RebindCrypto",
            dependencies: [
                "RebindCore",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // Exchange key checks (Binance, OKX): request signing, the exchanges' answers, the verdict.
        .target(
            name: "RebindExchanges",
            dependencies: [
                "RebindCore",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The Telegram Bot API: typed updates and methods, the client, the ChatMessenger adapter.
        .target(
            name: "RebindTelegram",
            dependencies: [
                "RebindCore",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The Slack Web API: typed events, interactivity, Block Kit and methods, the client, the ChatMessenger adapter.
        .target(
            name: "RebindSlack",
            dependencies: [
                "RebindCore",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The trading platform: signed binding updates (Standard Webhooks) to REBIND_PLATFORM_URL.
        .target(
            name: "RebindPlatform",
            dependencies: [
                "RebindCore", "RebindCrypto",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // SQLite's process-wide options, set before its first connection (sqlite3_config).
        .target(name: "CSQLiteSetup", linkerSettings: [.linkedLibrary("sqlite3")]),
        // The embedded SQLite store.
        .target(
            name: "RebindSQLite",
            dependencies: [
                "RebindCore", "CSQLiteSetup",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                // SQLite's own functions, for the statements every event runs (DirectStatement).
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ]
        ),
        // The PostgreSQL store, for several replicas on one database.
        .target(
            name: "RebindPostgres",
            dependencies: [
                "RebindCore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // The top-level templates/ folder compiled into the binary (the built-in templates).
        .executableTarget(name: "rebind-embed-templates"),
        .plugin(name: "EmbedTemplates", capability: .buildTool(), dependencies: ["rebind-embed-templates"]),
        .target(name: "RebindTemplates", plugins: ["EmbedTemplates"]),
        // Mustache guidance templates and the exchange catalogue.
        .target(
            name: "RebindRendering",
            dependencies: [
                "RebindCore", "RebindTemplates",
                .product(name: "Mustache", package: "swift-mustache"),
            ]
        ),
        // Hummingbird wiring, controllers, configuration, background services.
        .target(
            name: "RebindApp",
            dependencies: [
                "RebindCore", "RebindHTTP", "RebindCrypto", "RebindSQLite", "RebindPostgres", "RebindRendering", "RebindTelegram", "RebindSlack",
                "RebindExchanges", "RebindPlatform", "RebindTemplates",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "rebind",
            dependencies: [
                "RebindApp", "RebindExchanges", "RebindTelegram", "RebindSQLite", "RebindPostgres", "RebindRendering", "RebindTemplates",
                "RebindSimulator", "RebindHTTP", "RebindCrypto",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        // Simulated Telegram, Slack, Binance, OKX and platform: real HTTP servers on loopback that
        // stand in for the outside world in the tests and in `rebind demo`.
        .target(
            name: "RebindSimulator",
            dependencies: [
                "RebindCore", "RebindTelegram", "RebindSlack",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),

        .testTarget(name: "RebindCoreTests", dependencies: ["RebindCore"]),
        .testTarget(name: "RebindHTTPTests", dependencies: ["RebindCore", "RebindHTTP", "RebindSimulator"]),
        .testTarget(name: "RebindCryptoTests", dependencies: ["RebindCrypto"]),
        // The storage tests: the same suite on SQLite always and on PostgreSQL when
        // REBIND_TEST_POSTGRES_URL is set (scripts/test.sh sets it).
        .testTarget(
            name: "RebindStoreTests",
            dependencies: [
                "RebindCore", "RebindSQLite", "RebindPostgres",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                // To lay out a database as an earlier version left it, for the migration tests.
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        .testTarget(
            name: "RebindExchangesTests",
            dependencies: ["RebindCore", "RebindExchanges", "RebindHTTP", "RebindSimulator"]
        ),
        .testTarget(
            name: "RebindPlatformTests",
            dependencies: [
                "RebindCore", "RebindCrypto", "RebindPlatform", "RebindHTTP", "RebindSimulator",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "RebindTelegramTests",
            dependencies: [
                "RebindTelegram", "RebindHTTP", "RebindSimulator",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "RebindSlackTests",
            dependencies: [
                "RebindSlack", "RebindCrypto", "RebindHTTP", "RebindSimulator",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "RebindRenderingTests",
            dependencies: ["RebindRendering"]
        ),
        .testTarget(
            name: "RebindAppTests",
            dependencies: [
                "RebindApp", "RebindSimulator", "RebindTemplates",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                // To make the SQLite store fail on purpose (a trigger), as a disk or lock would.
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
