//! Names of x86-64 system calls and errno values that matter for privileged-access audit.
//! Numbers outside these tables (and other architectures) stay numeric.

/// `arch=` of x86-64 in SYSCALL records.
pub const ARCH_X86_64: &str = "c000003e";

#[rustfmt::skip]
const SYSCALLS_X86_64: &[(u32, &str)] = &[
    (0, "read"), (1, "write"), (2, "open"), (3, "close"), (4, "stat"), (5, "fstat"),
    (6, "lstat"), (9, "mmap"), (10, "mprotect"), (16, "ioctl"), (21, "access"),
    (41, "socket"), (42, "connect"), (43, "accept"), (44, "sendto"), (45, "recvfrom"),
    (46, "sendmsg"), (47, "recvmsg"), (49, "bind"), (50, "listen"), (51, "getsockname"),
    (52, "getpeername"), (54, "setsockopt"),
    (56, "clone"), (57, "fork"), (58, "vfork"), (59, "execve"), (62, "kill"),
    (76, "truncate"), (77, "ftruncate"), (80, "chdir"), (81, "fchdir"), (82, "rename"),
    (83, "mkdir"), (84, "rmdir"), (86, "link"), (87, "unlink"), (88, "symlink"),
    (90, "chmod"), (91, "fchmod"), (92, "chown"), (93, "fchown"), (94, "lchown"),
    (101, "ptrace"), (105, "setuid"), (106, "setgid"), (113, "setreuid"),
    (114, "setregid"), (117, "setresuid"), (119, "setresgid"), (122, "setfsuid"),
    (123, "setfsgid"), (133, "mknod"), (157, "prctl"), (159, "adjtimex"), (161, "chroot"),
    (164, "settimeofday"), (165, "mount"), (166, "umount2"), (169, "reboot"),
    (175, "init_module"), (176, "delete_module"), (188, "setxattr"), (189, "lsetxattr"),
    (190, "fsetxattr"), (197, "removexattr"), (200, "tkill"), (227, "clock_settime"),
    (234, "tgkill"), (257, "openat"), (258, "mkdirat"), (259, "mknodat"),
    (260, "fchownat"), (263, "unlinkat"), (264, "renameat"), (265, "linkat"),
    (266, "symlinkat"), (268, "fchmodat"), (269, "faccessat"), (272, "unshare"),
    (298, "perf_event_open"), (305, "clock_adjtime"), (308, "setns"),
    (310, "process_vm_readv"), (311, "process_vm_writev"), (313, "finit_module"),
    (316, "renameat2"), (321, "bpf"), (322, "execveat"), (435, "clone3"),
    (439, "faccessat2"),
];

#[rustfmt::skip]
const ERRNOS: &[(u32, &str)] = &[
    (1, "EPERM"), (2, "ENOENT"), (3, "ESRCH"), (4, "EINTR"), (5, "EIO"), (9, "EBADF"),
    (11, "EAGAIN"), (12, "ENOMEM"), (13, "EACCES"), (14, "EFAULT"), (16, "EBUSY"),
    (17, "EEXIST"), (20, "ENOTDIR"), (21, "EISDIR"), (22, "EINVAL"), (28, "ENOSPC"),
    (30, "EROFS"), (95, "EOPNOTSUPP"), (101, "ENETUNREACH"), (110, "ETIMEDOUT"),
    (111, "ECONNREFUSED"), (115, "EINPROGRESS"),
];

/// The name of system call `number` on `arch`, or `syscall NUMBER`.
///
/// ```
/// use auditflow::parse::auditd::syscall_name;
/// assert_eq!(syscall_name("c000003e", "59"), "execve");
/// assert_eq!(syscall_name("c00000b7", "59"), "syscall 59");
/// ```
pub fn syscall_name(arch: &str, number: &str) -> String {
    let known = (arch == ARCH_X86_64)
        .then(|| number.parse::<u32>().ok())
        .flatten()
        .and_then(|n| SYSCALLS_X86_64.iter().find(|(k, _)| *k == n))
        .map(|(_, name)| (*name).to_owned());
    known.unwrap_or_else(|| format!("syscall {number}"))
}

/// The errno name of a negative `exit=` value (`-13` -> `EACCES`), or the value itself.
pub fn errno_name(exit: &str) -> String {
    exit.strip_prefix('-')
        .and_then(|n| n.parse::<u32>().ok())
        .and_then(|n| ERRNOS.iter().find(|(k, _)| *k == n))
        .map_or_else(|| format!("exit={exit}"), |(_, name)| (*name).to_owned())
}
