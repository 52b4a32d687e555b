// Debian's libtcc.a is not built for shared libraries: it reaches libc's `stdout`, `stderr` and
// `environ` with PC-relative relocations, which a shared object cannot resolve to another library. The
// C ABI library (linked with -Bsymbolic) gives it copies of its own, hidden, holding libc's
// values from load time on; libtcc writes to the streams only without an error callback, which
// Plasticity always sets, and reads environ only to run a program's main, which Plasticity never
// does. Code linked into this library that names them (a static Swift runtime) reads the copies too.
#include <dlfcn.h>

__attribute__((visibility("hidden"))) void *stdout;
__attribute__((visibility("hidden"))) void *stderr;
__attribute__((visibility("hidden"))) void *environ;

// Priority 101: before the library's other initializers (the Swift runtime reads environ in its own).
__attribute__((constructor(101))) static void plasticity_bind_streams(void) {
    void **out = dlsym(RTLD_DEFAULT, "stdout"), **err = dlsym(RTLD_DEFAULT, "stderr"), **env = dlsym(RTLD_DEFAULT, "environ");
    if (out) stdout = *out;
    if (err) stderr = *err;
    if (env) environ = *env;
}
