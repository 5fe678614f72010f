import ArgumentParser
import Foundation
import RebindApp
import RebindRendering

struct Templates: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The message templates and exchange catalogue built into rebind.",
        subcommands: [Export.self]
    )

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write the built-in templates and catalogue into a folder, to edit and point REBIND_TEMPLATES_DIR at.",
            discussion: """
                Files already in the folder with the same name are replaced; others are left alone. \
                REBIND_TEMPLATES_DIR replaces the built-in files file by file, so the folder may \
                keep only the files you change.
                """
        )

        @Argument(help: "The folder to write into (created if missing).")
        var directory: String

        func run() throws {
            let target = URL(fileURLWithPath: directory, isDirectory: true)
            let written: [String]
            do {
                written = try TemplateFiles.builtIn.export(to: target)
            } catch {
                throw ValidationError("Cannot write the templates into \(directory): \(error.localizedDescription)")
            }
            print("Wrote \(written.count) files into \(target.path)")
        }
    }
}
