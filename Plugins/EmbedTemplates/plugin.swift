import Foundation
import PackagePlugin

/// Compiles the top-level `templates/` folder (and `examples/`, for `rebind demo`) into the target it is applied to, so the
/// executable carries its templates and catalogue wherever it is installed. `templates/` stays
/// the one source: every file of it is an input, so an edit rebuilds the generated file.
@main
struct EmbedTemplates: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let templates = context.package.directoryURL.appending(path: "templates")
        let output = context.pluginWorkDirectoryURL.appending(path: "EmbeddedTemplateFiles.swift")
        let tool = try context.tool(named: "rebind-embed-templates").url
        let git = context.package.directoryURL.appending(path: ".git")
        let commitOutput = context.pluginWorkDirectoryURL.appending(path: "BuildCommit.swift")
        let examples = context.package.directoryURL.appending(path: "examples")
        let examplesOutput = context.pluginWorkDirectoryURL.appending(path: "EmbeddedExampleFiles.swift")
        return [
            .buildCommand(
                displayName: "Embedding \(templates.path) into \(target.name)",
                executable: tool,
                arguments: [templates.path, output.path],
                inputFiles: [templates] + files(under: templates),
                outputFiles: [output]
            ),
            .buildCommand(
                displayName: "Embedding \(examples.path) into \(target.name)",
                executable: tool,
                arguments: [examples.path, examplesOutput.path, "encodedExamples"],
                inputFiles: [examples] + files(under: examples),
                outputFiles: [examplesOutput]
            ),
            .buildCommand(
                displayName: "Recording the commit built",
                executable: tool,
                arguments: ["--commit", git.path, commitOutput.path],
                inputFiles: gitInputs(git),
                outputFiles: [commitOutput]
            ),
        ]
    }

    /// The files that change when HEAD moves: HEAD, the branch's ref, the packed refs.
    func gitInputs(_ git: URL) -> [URL] {
        var inputs = [git.appending(path: "HEAD"), git.appending(path: "packed-refs")]
        if let head = try? String(contentsOf: inputs[0], encoding: .utf8), head.hasPrefix("ref: ") {
            inputs.append(git.appending(path: head.dropFirst(5).trimmingCharacters(in: .whitespacesAndNewlines)))
        }
        return inputs.filter { FileManager.default.fileExists(atPath: $0.path) }
    }

    /// Every file below `folder` (so that adding or editing one reruns the command), and the
    /// folders themselves (so that a removed file does too).
    func files(under folder: URL) -> [URL] {
        guard let walker = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: nil) else { return [] }
        return walker.compactMap { $0 as? URL }.sorted { $0.path < $1.path }
    }
}
