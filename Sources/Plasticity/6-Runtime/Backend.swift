import Foundation
import _CTinyCC
import PlasticityRuntime

/// Where a kernel runs and how its code becomes machine code: a target (the code an emitter
/// prints from the kernel IR) and a compiler for it. Configs and flags name the pair by the
/// compiler (`tinyCC`, `systemCC`), the only choice while the host is the only target. A GPU
/// target would be a new `Target` with its own emitter over the same IR (docs/architecture.md).
public struct Backend: ConfigEnum, CustomStringConvertible {
    /// The code a kernel is emitted as.
    public enum Target: String, Sendable, Hashable, CaseIterable {
        /// C for this host, called in-process through the ABI of runtime-c/include/plasticity_kernel.h.
        case hostC

        /// The translation unit of a layer kernel.
        public func emit(_ kernel: LayerKernel) -> KernelSource {
            switch self {
            case .hostC: return KernelSource(text: CKernelGenerator(kernel: kernel).emit(), layout: kernel.layout, plan: kernel.plan)
            }
        }

        /// The translation unit of a network kernel.
        public func emit(_ kernel: NetworkKernelIR) -> String {
            switch self {
            case .hostC: return CNetworkGenerator(kernel).emit()
            }
        }
    }

    /// The compilers of host C.
    public enum Compiler: String, Sendable, Hashable, CaseIterable {
        /// libtcc, in memory, in milliseconds; unoptimized code.
        case tinyCC
        /// The system C compiler (`cc -O3 -march=native`) into a shared object, then dlopen.
        case systemCC
    }

    public var target: Target
    public var compiler: Compiler

    public static let tinyCC = Backend(target: .hostC, compiler: .tinyCC)
    public static let systemCC = Backend(target: .hostC, compiler: .systemCC)
    public static var allCases: [Backend] { [.tinyCC, .systemCC] }
    public static var aliases: [String: Backend] { ["tcc": .tinyCC, "cc": .systemCC] }

    public init(target: Target, compiler: Compiler) {
        self.target = target
        self.compiler = compiler
    }
    public init?(rawValue: String) {
        guard let compiler = Compiler(rawValue: rawValue) else { return nil }
        self.init(target: .hostC, compiler: compiler)
    }
    public var rawValue: String { compiler.rawValue }
    public var description: String { rawValue }
}

extension Backend {
    /// Compiles a translation unit and resolves its entry points; also returns the wall time.
    /// The system compiler's output is cached by source (it costs 0.1–0.3 s; TinyCC's ~1 ms does
    /// not need it); a cache hit reports the time of the compile that produced the code.
    func compile(_ source: String, symbols names: [String]) throws -> (CompiledCode, milliseconds: Double) {
        let key = names.joined(separator: ",") + "\n" + source
        if compiler == .systemCC, let hit = SystemCCCache.shared.lookup(key) { return hit }
        let start = DispatchTime.now().uptimeNanoseconds
        let code: CompiledCode
        switch compiler {
        case .tinyCC: code = try TinyCC.compile(source, symbols: names)
        case .systemCC: code = try SystemCC.compile(source, symbols: names)
        }
        let result = (code, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
        if compiler == .systemCC { SystemCCCache.shared.store(key, result) }
        return result
    }
}

/// The last few shared objects the system compiler built, by source text (least recently used out).
final class SystemCCCache: @unchecked Sendable {
    static let shared = SystemCCCache(capacity: 16)
    private let lock = NSLock()
    private let capacity: Int
    private var entries: [(key: String, code: CompiledCode, milliseconds: Double)] = []
    init(capacity: Int) { self.capacity = capacity }

    func lookup(_ key: String) -> (CompiledCode, milliseconds: Double)? {
        lock.lock(); defer { lock.unlock() }
        guard let i = entries.firstIndex(where: { $0.key == key }) else { return nil }
        let entry = entries.remove(at: i)
        entries.append(entry)
        return (entry.code, entry.milliseconds)
    }

    func store(_ key: String, _ value: (CompiledCode, milliseconds: Double)) {
        lock.lock(); defer { lock.unlock() }
        entries.removeAll { $0.key == key }
        entries.append((key, value.0, value.milliseconds))
        if entries.count > capacity { entries.removeFirst() }
    }
}

/// Keeps compiled code alive: a TinyCC state or a dlopen handle.
final class CompiledCode: @unchecked Sendable {
    private let release: () -> Void
    let symbols: [String: UnsafeMutableRawPointer]
    init(symbols: [String: UnsafeMutableRawPointer], release: @escaping () -> Void) { self.symbols = symbols; self.release = release }
    deinit { release() }
}

/// Looks up every entry point of a kernel, or says which one is missing.
private func resolve(_ names: [String], backend: Backend, source: String,
                     lookup: (String) -> UnsafeMutableRawPointer?) throws -> [String: UnsafeMutableRawPointer] {
    var found: [String: UnsafeMutableRawPointer] = [:]
    for name in names {
        guard let symbol = lookup(name) else {
            throw KernelCompileError(backend: backend, message: "entry point \(name) missing from the compiled kernel", source: source)
        }
        found[name] = symbol
    }
    return found
}

enum TinyCC {
    /// TinyCC 0.9.27 keeps global state and initialises its own lock lazily (racy): every libtcc
    /// call in the process goes through this lock.
    static let lock = NSLock()

    static func compile(_ source: String, symbols names: [String]) throws -> CompiledCode {
        // The header is prepended in memory; `#line` keeps error line numbers those of the kernel.
        let headerLine = source.split(separator: "\n", omittingEmptySubsequences: false)
            .firstIndex { $0 == KernelSource.headerInclude }.map { $0 + 1 } ?? 0
        let unit = source.replacingOccurrences(
            of: KernelSource.headerInclude,
            with: String(cString: plasticity_kernel_header_text()) + "\n#line \(headerLine + 1) \"kernel.c\"")
        let unitWithName = "#line 1 \"kernel.c\"\n" + unit

        lock.lock()
        defer { lock.unlock() }
        guard let state = tcc_new() else { throw KernelCompileError(backend: .tinyCC, message: "tcc_new failed", source: source) }
        final class Messages { var text: [String] = [] }
        let messages = Messages()
        let opaque = Unmanaged.passUnretained(messages).toOpaque()
        tcc_set_error_func(state, opaque) { opaque, message in
            guard let opaque, let message else { return }
            Unmanaged<Messages>.fromOpaque(opaque).takeUnretainedValue().text.append(String(cString: message))
        }
        // A fixed option string only: a bad option makes TinyCC call exit().
        tcc_set_options(state, "-nostdlib")
        tcc_define_symbol(state, "PLASTICITY_TINYCC", "1")
        tcc_set_output_type(state, TCC_OUTPUT_MEMORY)
        var table = plasticity_runtime_symbols()!
        while let name = table.pointee.name {
            tcc_add_symbol(state, name, table.pointee.address)
            table += 1
        }
        func failure() -> KernelCompileError {
            KernelCompileError(backend: .tinyCC, message: messages.text.joined(separator: "\n"), source: source)
        }
        guard tcc_compile_string(state, unitWithName) == 0 else { tcc_delete(state); throw failure() }
        guard tcc_relocate(state, UnsafeMutableRawPointer(bitPattern: 1)) >= 0 else { tcc_delete(state); throw failure() }
        let found: [String: UnsafeMutableRawPointer]
        do { found = try resolve(names, backend: .tinyCC, source: source) { tcc_get_symbol(state, $0) } } catch { tcc_delete(state); throw error }
        nonisolated(unsafe) let owned = state
        return CompiledCode(symbols: found) {
            TinyCC.lock.lock(); tcc_delete(owned); TinyCC.lock.unlock()
        }
    }
}

enum SystemCC {
    /// Build folders of processes that were killed while compiling, removed once per process.
    static let staleFoldersRemoved: Void = {
        let fm = FileManager.default, tmp = fm.temporaryDirectory
        for name in (try? fm.contentsOfDirectory(atPath: tmp.path)) ?? [] where name.hasPrefix("plasticity-cc-") {
            guard let pid = Int32(name.dropFirst("plasticity-cc-".count).prefix { $0 != "-" }), pid != getpid() else { continue }
            if kill(pid, 0) != 0 && errno == ESRCH { try? fm.removeItem(at: tmp.appendingPathComponent(name)) }
        }
    }()

    static func compile(_ source: String, symbols names: [String]) throws -> CompiledCode {
        let fm = FileManager.default
        _ = staleFoldersRemoved
        let dir = fm.temporaryDirectory.appendingPathComponent("plasticity-cc-\(getpid())-\(UUID().uuidString)")
        try fm.createDirectory(at: dir, withIntermediateDirectories: true)
        // PLASTICITY_KEEP_CC=1 keeps kernel.c and kernel.so (and says where), so that a profiler
        // can name the kernel's functions.
        let keep = ProcessInfo.processInfo.environment["PLASTICITY_KEEP_CC"] == "1"
        defer { if keep { FileHandle.standardError.write(Data("plasticity: kept \(dir.path)\n".utf8)) } else { try? fm.removeItem(at: dir) } }
        try String(cString: plasticity_kernel_header_text()).write(to: dir.appendingPathComponent("plasticity_kernel.h"), atomically: true,
                                                                   encoding: .utf8)
        let cFile = dir.appendingPathComponent("kernel.c"), library = dir.appendingPathComponent("kernel.so")
        try source.write(to: cFile, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        // No FMA contraction: the same float program as TinyCC, so results agree to rounding.
        // -fno-trapping-math changes no value: it lets gcc if-convert a conditional product (a
        // surrogate's `r > 0 ? s * r : 0`), without which the fused neuron loop stays scalar on
        // hosts without AVX-512 masks.
        process.arguments = ["cc", "-O3", "-march=native", "-ffp-contract=off", "-fno-trapping-math", "-fPIC", "-shared", "-fno-math-errno", "-I",
                             dir.path,
                             "-o", library.path, cFile.path, "-lm"]
        process.currentDirectoryURL = dir
        let pipe = Pipe()
        process.standardError = pipe
        process.standardOutput = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw KernelCompileError(backend: .systemCC, message: output.replacingOccurrences(of: dir.path + "/", with: ""), source: source)
        }
        guard let handle = dlopen(library.path, RTLD_NOW | RTLD_LOCAL) else {
            throw KernelCompileError(backend: .systemCC, message: String(cString: dlerror()), source: source)
        }
        let found: [String: UnsafeMutableRawPointer]
        do { found = try resolve(names, backend: .systemCC, source: source) { dlsym(handle, $0) } } catch { dlclose(handle); throw error }
        nonisolated(unsafe) let owned = handle
        return CompiledCode(symbols: found) { dlclose(owned) }
    }
}
