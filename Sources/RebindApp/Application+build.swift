import Hummingbird
import Logging
import RebindCore
import RebindCrypto
import ServiceLifecycle

/// Builds the application from its configuration and dependencies. The executable calls it
/// with live dependencies; tests call it with fakes.
///
/// `adminRoutes` adds routes to the admin listener (`rebind demo` adds its page there).
public func buildApplication(
    configuration: RebindConfiguration,
    dependencies: AppDependencies,
    logger: Logger,
    adminRoutes: (@Sendable (Router<BasicRequestContext>) -> Void)? = nil
) -> some ApplicationProtocol {
    let router = Router(context: BasicRequestContext.self)
    router.add(middleware: MetricsMiddleware(metrics: dependencies.metrics))
    // Only liveness here: readiness, metrics (and the console) are on the admin listener.
    HealthController.addLivenessRoute(to: router)
    EventsController(secrets: configuration.eventsSecrets, dependencies: dependencies).addRoutes(to: router)

    // The dependencies' services first: a service group stops them last.
    var services: [any Service] = dependencies.services
    if let chat = dependencies.chat {
        services += chatServices(chat, configuration: configuration, dependencies: dependencies, router: router, logger: logger)
    } else if let store = dependencies.store as? any ChatStore {
        // Links can be made before a chat channel is on: they wait to be used.
        LinksController(
            verifier: StandardWebhooks(secrets: configuration.eventsSecrets),
            store: store,
            botUsername: { nil },
            now: dependencies.now
        ).addRoutes(to: router)
    }

    if let store = dependencies.store as? any RetentionStore {
        var retention = RetentionService(
            store: store,
            days: configuration.retentionDays,
            metrics: dependencies.metrics,
            now: dependencies.now,
            logger: logger
        )
        retention.interval = dependencies.retentionInterval
        services.append(retention)
    }

    // Last, so a service group stops it just before the public listener: /readyz and /metrics
    // answer until then.
    services.append(buildAdminApplication(configuration: configuration, dependencies: dependencies, logger: logger, adminRoutes: adminRoutes))

    if configuration.eventsSecrets.isEmpty {
        logger.warning("REBIND_EVENTS_SECRET is not set: POST /v1/events and /v1/links refuse every request")
    }
    let off = configuration.channelsOff
    if !off.isEmpty {
        logger.notice(
            "Chat channels off: \(off.joined(separator: ", ")). Set REBIND_TELEGRAM_BOT_TOKEN or REBIND_SLACK_BOT_TOKEN to turn one on.",
            metadata: ["chat.off": "\(off.joined(separator: ","))"]
        )
    }
    return Application(
        router: router,
        server: configuration.httpServer,
        configuration: ApplicationConfiguration(
            address: .hostname(configuration.httpHost, port: configuration.httpPort),
            serverName: "rebind"
        ),
        services: services,
        onServerRunning: { channel in
            logListening(channel, listener: "public", host: configuration.httpHost, logger: logger)
        },
        logger: logger
    )
}

/// The chat channels' routes and the background services that deliver and converse.
func chatServices(
    _ chat: ChatDependencies,
    configuration: RebindConfiguration,
    dependencies: AppDependencies,
    router: Router<BasicRequestContext>,
    logger: Logger
) -> [any Service] {
    let now = dependencies.now
    let username = chat.telegram.map { BotUsername(configured: configuration.telegramBotUsername, client: $0) }
    LinksController(
        verifier: StandardWebhooks(secrets: configuration.eventsSecrets),
        store: chat.store,
        botUsername: { await username?.value() },
        now: now
    ).addRoutes(to: router)
    if chat.telegram != nil, let secret = configuration.telegram?.webhookSecret {
        TelegramWebhookController(secret: secret, store: chat.store, envelope: chat.envelope, wakeup: chat.updatesWakeup, now: now).addRoutes(
            to: router
        )
    }
    var pacers: [Channel: DeliveryPacer] = [:]
    if chat.telegram != nil { pacers[.telegram] = chat.pacer }
    if let slack = chat.slack { pacers[.slack] = slack.pacer }
    let pacer = SharedPacer(pacers)
    let matcher = dependencies.renderer.replies.matcher(defaultLocale: configuration.defaultLocale)
    var sender = ReplySender(
        messengers: chat.messengers,
        replies: dependencies.renderer.replies,
        store: chat.store,
        matcher: matcher,
        pacer: pacer,
        logger: logger
    )
    sender.deleteRetryDelays = chat.deleteRetryDelays
    chat.channelHealth.configure(metrics: dependencies.metrics, firstProbeWait: chat.channelProbeWait)
    sender.health = chat.channelHealth
    sender.now = now
    // The Mini App key form: Telegram only, and only where Telegram users can reach it.
    let keyForm = chat.telegramBotToken == nil ? nil : configuration.publicURL.map(KeyFormLink.init(publicURL:))
    sender.keyForm = keyForm
    let accounts = AccountDirectory(store: chat.store, now: now)
    let vault = CredentialVault(store: chat.store, envelope: chat.envelope, now: now)
    let inbox = LaneInbox(store: chat.store, envelope: chat.envelope, wakeup: chat.updatesWakeup, now: now)
    let keyFlow = KeyFlowRunner(
        store: chat.store,
        accounts: accounts,
        sender: sender,
        vault: vault,
        envelope: chat.envelope,
        verifiers: chat.verifiers,
        hasPlatform: chat.publisher != nil,
        bindingWakeup: chat.bindingsWakeup,
        now: now,
        logger: logger
    )
    let chatRouter = ChatRouter(
        store: chat.store,
        commands: AccountCommands(store: chat.store, sender: sender, catalogue: dependencies.catalogue, now: now, logger: logger),
        keyFlow: keyFlow,
        sender: sender,
        languageLookup: chat.slack.map { SlackLanguageLookup(workspaces: $0.workspaces, logger: logger) },
        now: now,
        logger: logger
    )
    var lanes = LaneProcessor(
        store: chat.store,
        envelope: chat.envelope,
        router: chatRouter,
        inbox: inbox,
        wakeup: chat.updatesWakeup,
        idleWait: chat.idleWait,
        expiryInterval: chat.expiryInterval,
        logger: logger,
        now: now
    )
    lanes.laneLease = configuration.outboxLease
    lanes.retryDelays = chat.inputRetryDelays
    let answers = BindingAnswers()
    if let keyForm, let botToken = chat.telegramBotToken {
        var intake = KeyFormIntake(
            store: chat.store,
            accounts: accounts,
            sender: sender,
            vault: vault,
            inbox: inbox,
            envelope: chat.envelope,
            verifiers: chat.verifiers,
            botToken: botToken,
            maximumAge: configuration.keyFormMaxAge,
            hasPlatform: chat.publisher != nil,
            bindingWakeup: chat.bindingsWakeup,
            answers: answers,
            now: now,
            logger: logger
        )
        intake.answerWait = chat.keyFormAnswerWait
        KeyFormController(intake: intake, pages: dependencies.renderer.web).addRoutes(to: router)
        logger.info("Key form offered in private Telegram chats", metadata: ["keyform.url": "\(keyForm.publicURL)/v1/keyform"])
    }
    var services: [any Service] = [
        lanes,
        NoticeDispatcher(
            events: dependencies.store,
            store: chat.store,
            messengers: chat.messengers,
            renderer: dependencies.renderer,
            matcher: matcher,
            policy: configuration.incidentPolicy,
            retry: chat.retry,
            metrics: dependencies.metrics,
            wakeup: chat.noticesWakeup,
            idleWait: chat.idleWait,
            now: now,
            logger: logger,
            pacer: pacer,
            keyForm: keyForm,
            health: chat.channelHealth,
            lease: configuration.outboxLease
        ),
        ChannelProbe(
            health: chat.channelHealth,
            messengers: chat.messengers,
            noticesWakeup: chat.noticesWakeup,
            idleWait: .milliseconds(min(1000, max(20, Int(chat.channelProbeWait * 200)))),
            now: now,
            logger: logger
        ),
    ]
    services.append(
        ExpiryWarner(
            store: chat.store,
            sender: sender,
            retry: chat.retry,
            metrics: dependencies.metrics,
            postsToPlatform: chat.publisher != nil,
            mergeWithin: configuration.incidentPolicy.groupWait,
            wakeup: chat.warningsWakeup,
            idleWait: chat.idleWait,
            now: now,
            logger: logger,
            lease: max(configuration.outboxLease, 120)
        )
    )
    if let publisher = chat.publisher {
        services.append(
            PlatformEventDispatcher(
                store: chat.store,
                publisher: publisher,
                // Nobody waits on it in a chat: retried as long as a message would be.
                retry: chat.retry,
                metrics: dependencies.metrics,
                wakeup: chat.platformEventsWakeup,
                idleWait: chat.idleWait,
                now: now,
                logger: logger,
                lease: max(configuration.outboxLease, 120)
            )
        )
        services.append(
            BindingDispatcher(
                store: chat.store,
                publisher: publisher,
                inbox: inbox,
                vault: vault,
                envelope: chat.envelope,
                retry: chat.bindingRetry,
                metrics: dependencies.metrics,
                wakeup: chat.bindingsWakeup,
                idleWait: chat.idleWait,
                now: now,
                logger: logger,
                lease: max(configuration.outboxLease, 120),
                answers: answers
            )
        )
    }
    if let slack = chat.slack {
        SlackController(
            signature: slack.signature,
            store: chat.store,
            envelope: chat.envelope,
            opener: SlackKeyFormOpener(accounts: accounts, sender: sender, workspaces: slack.workspaces, logger: logger),
            inbox: inbox,
            wakeup: chat.updatesWakeup,
            workspaces: slack.workspaces,
            health: chat.channelHealth,
            now: now,
            logger: logger
        ).addRoutes(to: router)
        if let oauth = slack.oauth, let settings = configuration.slack?.oauth, let installations = chat.store as? any SlackInstallationStore {
            SlackInstallController(
                settings: settings,
                oauth: oauth,
                store: installations,
                envelope: chat.envelope,
                stateSecret: slack.stateSecret,
                now: now,
                replies: dependencies.renderer.replies,
                matcher: matcher,
                onInstalled: { teamID in
                    slack.workspaces.installed(teamID: teamID)
                    // A reinstall mends an uninstalled workspace at once: its waiting notices go.
                    if chat.channelHealth.resume(ChannelHealth.Scope(channel: .slack, workspace: teamID)) {
                        logger.notice("Slack workspace resumed: reinstalled", metadata: ["workspace": "\(teamID)"])
                        chat.noticesWakeup.poke()
                    }
                }
            ).addRoutes(to: router)
        }
    }
    if let client = chat.telegram {
        services.append(TelegramCommandMenu(client: client, replies: dependencies.renderer.replies, matcher: matcher, logger: logger))
    }
    if let client = chat.telegram, configuration.telegram?.mode == .polling {
        services.append(
            TelegramPoller(client: client, store: chat.store, envelope: chat.envelope, wakeup: chat.updatesWakeup, now: now, logger: logger)
        )
    }
    if chat.publisher == nil {
        logger.notice("REBIND_PLATFORM_URL is not set: standalone mode, new keys are kept encrypted in Rebind's store")
    }
    return services
}
