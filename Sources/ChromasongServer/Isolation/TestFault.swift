import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The worker side of `RenderFault` (tests only: the server writes a fault into the job only when the test-only
/// `ServerConfiguration.renderFault` asks for one).
enum TestFault {
    struct Unavailable: Error, CustomStringConvertible {
        var description: String
    }

    static func trigger(_ fault: RenderFault) throws {
        switch fault {
        case .segfault:
            FileHandle.standardError.write(Data("render-worker: test fault: raising SIGSEGV\n".utf8))
            raise(SIGSEGV)
            // A handler could have caught it: make sure the process dies of it all the same.
            signal(SIGSEGV, SIG_DFL)
            raise(SIGSEGV)
        case .hang:
            FileHandle.standardError.write(Data("render-worker: test fault: hanging\n".utf8))
            while true { sleep(3600) }
        case .outOfMemory:
            FileHandle.standardError.write(Data("render-worker: test fault: allocating without end\n".utf8))
            var hoard: [[UInt8]] = []
            while true {
                // Touch every page, as a real render's buffers are: the bound must stop it, not lazy allocation.
                hoard.append([UInt8](repeating: UInt8(hoard.count & 0x7F), count: 32 << 20))
            }
        case .diskFull:
            try denyFileCreation()
        }
    }

    /// Installs a seccomp filter under which every open/openat/creat that would create a file (O_CREAT) fails with
    /// ENOSPC, the kernel's answer on a disk with no room; reads and existing descriptors are untouched. Needs no
    /// privilege (PR_SET_NO_NEW_PRIVS first), so it runs in CI containers as root or not.
    static func denyFileCreation() throws {
        #if os(Linux) && (arch(x86_64) || arch(arm64))
        struct SockFilter {
            var code: UInt16
            var jt: UInt8
            var jf: UInt8
            var k: UInt32
        }
        let ldAbs: UInt16 = 0x20, jeq: UInt16 = 0x15, jset: UInt16 = 0x45, ret: UInt16 = 0x06
        let allow: UInt32 = 0x7FFF_0000
        let noSpace: UInt32 = 0x0005_0000 | UInt32(ENOSPC)
        let creat = UInt32(O_CREAT)
        // seccomp_data: nr at 0, arch at 4, args[i] at 16 + 8 i (low word first on these little-endian machines).
        #if arch(x86_64)
        let arch: UInt32 = 0xC000_003E  // AUDIT_ARCH_X86_64
        let (openat, open, creatCall): (UInt32, UInt32, UInt32) = (257, 2, 85)
        #else
        let arch: UInt32 = 0xC000_00B7  // AUDIT_ARCH_AARCH64 (no open or creat system calls)
        let (openat, open, creatCall): (UInt32, UInt32, UInt32) = (56, 0xFFFF_FFFF, 0xFFFF_FFFE)
        #endif
        let program: [SockFilter] = [
            SockFilter(code: ldAbs, jt: 0, jf: 0, k: 4),
            SockFilter(code: jeq, jt: 1, jf: 0, k: arch),
            SockFilter(code: ret, jt: 0, jf: 0, k: allow),
            SockFilter(code: ldAbs, jt: 0, jf: 0, k: 0),
            SockFilter(code: jeq, jt: 3, jf: 0, k: openat),    // -> 8
            SockFilter(code: jeq, jt: 5, jf: 0, k: open),      // -> 11
            SockFilter(code: jeq, jt: 7, jf: 0, k: creatCall), // -> 14
            SockFilter(code: ret, jt: 0, jf: 0, k: allow),
            SockFilter(code: ldAbs, jt: 0, jf: 0, k: 32),      // openat flags: args[2]
            SockFilter(code: jset, jt: 4, jf: 0, k: creat),    // -> 14
            SockFilter(code: ret, jt: 0, jf: 0, k: allow),
            SockFilter(code: ldAbs, jt: 0, jf: 0, k: 24),      // open flags: args[1]
            SockFilter(code: jset, jt: 1, jf: 0, k: creat),    // -> 14
            SockFilter(code: ret, jt: 0, jf: 0, k: allow),
            SockFilter(code: ret, jt: 0, jf: 0, k: noSpace),
        ]
        // prctl and syscall are variadic in C, which Swift cannot call: take them through dlsym with the word-sized
        // shape the kernel reads (the Linux x86-64 and AArch64 calling conventions pass these the same way).
        typealias Prctl = @convention(c) (Int32, UInt, UInt, UInt, UInt) -> Int32
        typealias Syscall = @convention(c) (Int, UInt, UInt, UnsafeRawPointer) -> Int
        guard let handle = dlopen(nil, RTLD_NOW), let prctlSymbol = dlsym(handle, "prctl"),
              let syscallSymbol = dlsym(handle, "syscall")
        else {
            throw Unavailable(description: "test fault enospc: prctl or syscall not found")
        }
        let prctl = unsafeBitCast(prctlSymbol, to: Prctl.self)
        let syscall = unsafeBitCast(syscallSymbol, to: Syscall.self)
        let filter = UnsafeMutablePointer<SockFilter>.allocate(capacity: program.count)
        filter.initialize(from: program, count: program.count)
        // struct sock_fprog { unsigned short len; struct sock_filter *filter; }
        let fprog = UnsafeMutableRawPointer.allocate(byteCount: 16, alignment: 8)
        fprog.initializeMemory(as: UInt8.self, repeating: 0, count: 16)
        fprog.storeBytes(of: UInt16(program.count), toByteOffset: 0, as: UInt16.self)
        fprog.storeBytes(of: UnsafeRawPointer(filter), toByteOffset: 8, as: UnsafeRawPointer.self)
        #if arch(x86_64)
        let sysSeccomp = 317
        #else
        let sysSeccomp = 277
        #endif
        // seccomp(SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, prog): every thread of the process, not only
        // this one (the render's versions run on other threads).
        guard prctl(38 /* PR_SET_NO_NEW_PRIVS */, 1, 0, 0, 0) == 0,
              syscall(sysSeccomp, 1, 1, UnsafeRawPointer(fprog)) == 0
        else {
            throw Unavailable(description: "test fault enospc: seccomp refused (errno \(errno))")
        }
        FileHandle.standardError.write(Data("render-worker: test fault: file creation now fails with ENOSPC\n".utf8))
        #else
        throw Unavailable(description: "test fault enospc needs Linux on x86-64 or AArch64")
        #endif
    }
}
