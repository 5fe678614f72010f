import Foundation
import Logging
import RebindCore
import RebindPostgres
import RebindRendering
import RebindSQLite
import ServiceLifecycle

extension AppDependencies {
    /// Production dependencies: the configured store, the templates and catalogue on disk.
    public static func live(configuration: RebindConfiguration, logger: Logger) throws -> AppDependencies {
        let renderer = try GuidanceRenderer.load(configuration: configuration)
        let store: any EventStore & ChatStore
        var services: [any Service] = []
        let expiryPolicy = ExpiryPolicy(catalogue: renderer.catalogue, schedule: configuration.expirySchedule)
        let metrics = RebindMetrics()
        let observeCommits: @Sendable (CommitReport) -> Void = { metrics.storeCommitted($0) }
        switch configuration.database {
        case .sqlite(let path):
            var settings = SQLiteStore.Configuration(
                path: path,
                synchronous: configuration.sqliteSynchronous,
                incidentPolicy: configuration.incidentPolicy,
                expiryPolicy: expiryPolicy
            )
            settings.observeCommits = observeCommits
            store = try SQLiteStore(configuration: settings)
            logger.info(
                "Store opened",
                metadata: ["store.kind": "sqlite", "store.path": "\(path)", "store.synchronous": "\(configuration.sqliteSynchronous.rawValue)"]
            )
        case .postgres(let url):
            // Its pool runs as a service of the app; until the migrations are done (or while
            // the database is down) /readyz fails and events get 503.
            var settings = try PostgresStore.Configuration(url: url.value, incidentPolicy: configuration.incidentPolicy)
            settings.expiryPolicy = expiryPolicy
            settings.observeCommits = observeCommits
            let postgres = PostgresStore(configuration: settings, logger: logger)
            store = postgres
            services = [postgres]
            logger.info("Store opened", metadata: ["store.kind": "postgres", "store.url": "\(postgres.configuration.redactedURL)"])
        }
        var masterKey = configuration.masterKey
        if let path = configuration.masterKeyFile {
            let (key, created) = try MasterKeyFile.loadOrCreate(path: path)
            masterKey = key
            if created {
                logger.warning(
                    "REBIND_MASTER_KEY is not set: generated a master key into \(path) (mode 0600). Back it up: stored secrets cannot be read without it."
                )
            }
        }
        let chat = try masterKey.flatMap { try ChatDependencies.live(configuration: configuration, store: store, masterKey: $0, logger: logger) }
        var dependencies = AppDependencies(store: store, renderer: renderer, metrics: metrics, chat: chat)
        dependencies.services = services
        return dependencies
    }
}

extension GuidanceRenderer {
    /// The built-in templates and catalogue, with `REBIND_TEMPLATES_DIR`'s files in place of
    /// theirs, and the configured wording.
    public static func load(configuration: RebindConfiguration) throws -> GuidanceRenderer {
        let renderer = try GuidanceRenderer(templates: try templateFiles(configuration: configuration))
            .with(helpURL: configuration.helpURL, platformName: configuration.platformName)
        // A default no template speaks would quietly become English.
        guard renderer.replies.matcher(defaultLocale: "en").supported(configuration.defaultLocale) != nil else {
            throw RebindConfiguration.Error.invalid(
                variable: "REBIND_DEFAULT_LOCALE",
                reason: "no templates for \(configuration.defaultLocale); there are \(renderer.replies.locales.joined(separator: ", "))"
            )
        }
        return renderer
    }

    /// The built-in templates, overlaid file by file with `REBIND_TEMPLATES_DIR` when set.
    public static func templateFiles(configuration: RebindConfiguration) throws -> TemplateFiles {
        guard let path = configuration.templatesDirectory else { return .builtIn }
        do {
            return TemplateFiles.builtIn.overlaid(with: try TemplateFiles.read(directory: URL(fileURLWithPath: path, isDirectory: true)))
        } catch {
            throw RebindConfiguration.Error.invalid(variable: "REBIND_TEMPLATES_DIR", reason: error.description)
        }
    }
}
