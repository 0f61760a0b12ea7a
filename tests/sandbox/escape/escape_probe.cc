// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// The escape probe: runs inside a sandbox, tries one class of escape (argv[1]) and reports
// every attempt as a line "BLOCKED <what> (<errno name>)" or "ESCAPED <what> ...". Exits 0
// when everything was blocked, 1 when anything escaped, 2 on usage errors. Some cases end
// by being killed (memory bombs, foreign syscall ABIs): the host test checks how.
// Built without sanitizers; plain syscalls only, so that what is tested is the sandbox.
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/perf_event.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <initializer_list>
#include <string>
#include <vector>

#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif

namespace {

int g_escaped = 0;

// `rc` is the syscall result; blocked when it failed with one of `allowed` errnos.
void Expect(const std::string& what, long rc, std::initializer_list<int> allowed) {
  int err = errno;
  if (rc < 0) {
    for (int a : allowed) {
      if (a == err) {
        printf("BLOCKED %s (%s)\n", what.c_str(), strerrorname_np(err));
        fflush(stdout);
        return;
      }
    }
    printf("ESCAPED? %s failed with unexpected %s\n", what.c_str(), strerrorname_np(err));
  } else {
    printf("ESCAPED %s rc=%ld\n", what.c_str(), rc);
  }
  fflush(stdout);
  ++g_escaped;
}

void Escaped(const std::string& what) {
  printf("ESCAPED %s\n", what.c_str());
  fflush(stdout);
  ++g_escaped;
}

void Info(const std::string& what) {
  printf("INFO %s\n", what.c_str());
  fflush(stdout);
}

// Host paths (argv) must not be reachable.
void HostFiles(int argc, char** argv) {
  for (int i = 2; i < argc; ++i) {
    Expect(std::string("open host path ") + argv[i], open(argv[i], O_RDONLY), {ENOENT, EACCES});
  }
  Expect("open /etc/shadow", open("/etc/shadow", O_RDONLY), {ENOENT});
  Expect("open /root", open("/root", O_RDONLY), {ENOENT});
  Expect("open /sys", open("/sys", O_RDONLY), {ENOENT});
  Expect("write /usr/bin/codesphere-escape", open("/usr/bin/codesphere-escape", O_WRONLY | O_CREAT, 0755), {EROFS, EACCES});
  Expect("write /etc/passwd", open("/etc/passwd", O_WRONLY), {EROFS, EACCES});
  Expect("create /escape", open("/escape", O_WRONLY | O_CREAT, 0644), {EROFS, EACCES});
  Expect("chmod /usr/bin/env", chmod("/usr/bin/env", 04755), {EROFS, EPERM});
}

void Mounts() {
  Expect("remount /usr read-write", mount(nullptr, "/usr", nullptr, MS_REMOUNT | MS_BIND, nullptr), {EPERM});
  Expect("remount / read-write", mount(nullptr, "/", nullptr, MS_REMOUNT, nullptr), {EPERM});
  Expect("mount tmpfs", mount("tmpfs", "/tmp", "tmpfs", 0, nullptr), {EPERM});
  Expect("bind mount", mount("/usr", "/tmp", nullptr, MS_BIND, nullptr), {EPERM});
  Expect("mount proc", mount("proc", "/tmp", "proc", 0, nullptr), {EPERM});
  Expect("umount /proc", umount2("/proc", MNT_DETACH), {EPERM});
  Expect("umount /usr", umount2("/usr", 0), {EPERM});
  Expect("pivot_root", syscall(SYS_pivot_root, "/tmp", "/tmp"), {EPERM});
  Expect("chroot", chroot("/tmp"), {EPERM});
  Expect("fsopen", syscall(SYS_fsopen, "tmpfs", 0), {EPERM, ENOSYS});
  Expect("open_tree", syscall(SYS_open_tree, AT_FDCWD, "/usr", 1 /* OPEN_TREE_CLONE */), {EPERM, ENOSYS});
  Expect("mount cgroup (release_agent)", mount("cgroup", "/tmp", "cgroup", 0, "memory"), {EPERM});
  Expect("mount cgroup2", mount("cgroup2", "/tmp", "cgroup2", 0, nullptr), {EPERM});
  Expect("open release_agent", open("/sys/fs/cgroup/memory/release_agent", O_WRONLY), {ENOENT});
}

void Namespaces() {
  Expect("unshare(CLONE_NEWUSER)", unshare(CLONE_NEWUSER), {EPERM});
  Expect("unshare(CLONE_NEWNS)", unshare(CLONE_NEWNS), {EPERM});
  Expect("unshare(CLONE_NEWNET)", unshare(CLONE_NEWNET), {EPERM});
  for (unsigned long flag : {CLONE_NEWUSER, CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWNET,
                             CLONE_NEWIPC, CLONE_NEWUTS, CLONE_NEWCGROUP}) {
    long rc = syscall(SYS_clone, flag | SIGCHLD, nullptr, nullptr, nullptr, 0);
    if (rc == 0) _exit(0);
    if (rc > 0) waitpid(static_cast<pid_t>(rc), nullptr, 0);
    char what[64];
    snprintf(what, sizeof(what), "clone(0x%lx)", flag);
    Expect(what, rc, {EPERM});
  }
  // The flag with a high bit set must not slip past a 32-bit comparison.
  long rc = syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD | (1ul << 33), nullptr, nullptr, nullptr, 0);
  if (rc == 0) _exit(0);
  if (rc > 0) waitpid(static_cast<pid_t>(rc), nullptr, 0);
  Expect("clone(CLONE_NEWUSER | 1<<33)", rc, {EPERM, EINVAL});
  struct {
    uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
  } args = {CLONE_NEWUSER, 0, 0, 0, SIGCHLD, 0, 0, 0};
  rc = syscall(SYS_clone3, &args, sizeof(args));
  if (rc == 0) _exit(0);
  Expect("clone3(CLONE_NEWUSER)", rc, {ENOSYS, EPERM});
  int fd = open("/proc/1/ns/mnt", O_RDONLY);
  Expect("setns(pid 1 mnt)", fd < 0 ? fd : setns(fd, 0), {EPERM, EACCES});
  Expect("setns(self net)", setns(open("/proc/self/ns/net", O_RDONLY), CLONE_NEWNET), {EPERM});
}

void ProcSys() {
  Expect("write core_pattern", open("/proc/sys/kernel/core_pattern", O_WRONLY), {EROFS, EACCES, EPERM});
  Expect("write sysrq-trigger", open("/proc/sysrq-trigger", O_WRONLY), {EROFS, EACCES, EPERM, ENOENT});
  Expect("write /proc/sys/vm/drop_caches", open("/proc/sys/vm/drop_caches", O_WRONLY), {EROFS, EACCES, EPERM});
  Expect("write /proc/self/oom_score_adj -1000", [] {
    int fd = open("/proc/self/oom_score_adj", O_WRONLY);
    if (fd < 0) return -1L;
    long rc = write(fd, "-1000", 5);
    close(fd);
    return rc;
  }(), {EACCES, EPERM});
}

void Ptrace(int argc, char** argv) {
  Expect("ptrace attach pid 1", ptrace(PTRACE_ATTACH, 1, nullptr, nullptr), {EPERM});
  Expect("ptrace traceme", ptrace(PTRACE_TRACEME, 0, nullptr, nullptr), {EPERM});
  char buf[16];
  struct iovec local = {buf, sizeof(buf)};
  struct iovec remote = {reinterpret_cast<void*>(0x400000), sizeof(buf)};
  Expect("process_vm_readv pid 1", process_vm_readv(1, &local, 1, &remote, 1, 0), {EPERM});
  Expect("open /proc/1/mem", open("/proc/1/mem", O_RDONLY), {EACCES, EPERM});
  Expect("open /proc/1/environ", open("/proc/1/environ", O_RDONLY), {EACCES, EPERM});
  // A sibling process of the same sandbox: the syscalls are denied outright.
  pid_t child = fork();
  if (child == 0) {
    pause();
    _exit(0);
  }
  Expect("ptrace attach sibling", ptrace(PTRACE_ATTACH, child, nullptr, nullptr), {EPERM});
  Expect("process_vm_readv sibling", process_vm_readv(child, &local, 1, &remote, 1, 0), {EPERM});
  Expect("process_vm_writev sibling", process_vm_writev(child, &local, 1, &remote, 1, 0), {EPERM});
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  // Host pids (argv) do not exist here, or are someone else in our namespace.
  for (int i = 2; i < argc; ++i) {
    std::string path = std::string("/proc/") + argv[i] + "/mem";
    Expect("open host " + path, open(path.c_str(), O_RDONLY), {ENOENT, EACCES});
  }
}

void Signals(int argc, char** argv) {
  Expect("kill pid 1", kill(1, SIGKILL), {EPERM});
  Expect("kill pid 1 SIGTERM", kill(1, SIGTERM), {EPERM});
  for (int i = 2; i < argc; ++i) {
    pid_t pid = atoi(argv[i]);
    Expect(std::string("kill host pid ") + argv[i], kill(pid, SIGTERM), {ESRCH, EPERM});
  }
}

void Tiocsti() {
  char c = 'X';
  Expect("TIOCSTI on stdin", ioctl(0, TIOCSTI, &c), {EPERM});
  Expect("TIOCSTI with high bits", syscall(SYS_ioctl, 0, TIOCSTI | (1ul << 32), &c), {EPERM, ENOTTY});
  Expect("TIOCLINUX on stdin", ioctl(0, TIOCLINUX, &c), {EPERM});
  int tty = open("/dev/tty", O_RDWR);
  if (tty < 0) {
    Info(std::string("open /dev/tty: ") + strerrorname_np(errno));
  } else {
    Expect("TIOCSTI on /dev/tty", ioctl(tty, TIOCSTI, &c), {EPERM});
    close(tty);
  }
}

void KernelSurface() {
  Expect("io_uring_setup", syscall(SYS_io_uring_setup, 8, nullptr), {EPERM});
  union bpf_attr attr;
  memset(&attr, 0, sizeof(attr));
  Expect("bpf", syscall(SYS_bpf, BPF_PROG_LOAD, &attr, sizeof(attr)), {EPERM});
  struct perf_event_attr pe;
  memset(&pe, 0, sizeof(pe));
  pe.size = sizeof(pe);
  Expect("perf_event_open", syscall(SYS_perf_event_open, &pe, 0, -1, -1, 0), {EPERM});
  Expect("userfaultfd", syscall(SYS_userfaultfd, 0), {EPERM});
  Expect("keyctl", syscall(SYS_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -3, 0), {EPERM});
  Expect("add_key", syscall(SYS_add_key, "user", "x", "y", 1, -3), {EPERM});
  Expect("kexec_load", syscall(SYS_kexec_load, 0, 0, nullptr, 0), {EPERM});
  Expect("init_module", syscall(SYS_init_module, nullptr, 0, ""), {EPERM});
  Expect("finit_module", syscall(SYS_finit_module, 0, "", 0), {EPERM});
  Expect("delete_module", syscall(SYS_delete_module, "x", 0), {EPERM});
  Expect("open_by_handle_at", syscall(SYS_open_by_handle_at, AT_FDCWD, nullptr, 0), {EPERM});
  Expect("socket(AF_VSOCK)", socket(AF_VSOCK, SOCK_STREAM, 0), {EAFNOSUPPORT});
  Expect("socket(AF_NETLINK)", socket(AF_NETLINK, SOCK_RAW, 0), {EAFNOSUPPORT});
  Expect("socket(AF_PACKET)", socket(AF_PACKET, SOCK_RAW, 0), {EPERM, EACCES});
}

int ConnectTo(const char* ip, int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  struct sockaddr_in addr = {};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, ip, &addr.sin_addr);
  int rc = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  int err = errno;
  close(fd);
  errno = err;
  return rc;
}

void Network(int argc, char** argv) {
  for (int i = 2; i < argc; ++i) {
    Expect(std::string("connect host loopback port ") + argv[i], ConnectTo("127.0.0.1", atoi(argv[i])), {ECONNREFUSED});
  }
  Expect("connect 169.254.169.254:80", ConnectTo("169.254.169.254", 80), {ENETUNREACH});
  Expect("connect 10.0.2.2:80", ConnectTo("10.0.2.2", 80), {ENETUNREACH});
  Expect("connect 8.8.8.8:53", ConnectTo("8.8.8.8", 53), {ENETUNREACH});
  DIR* d = opendir("/sys/class/net");
  Expect("list /sys/class/net", d == nullptr ? -1 : 0, {ENOENT});
}

void Fds() {
  DIR* d = opendir("/proc/self/fd");
  if (d == nullptr) {
    Escaped("cannot list /proc/self/fd");
    return;
  }
  int own = dirfd(d);
  while (struct dirent* e = readdir(d)) {
    if (e->d_name[0] == '.') continue;
    int fd = atoi(e->d_name);
    if (fd == own) continue;
    char target[256] = {};
    std::string link = std::string("/proc/self/fd/") + e->d_name;
    readlink(link.c_str(), target, sizeof(target) - 1);
    printf("FD %d %s\n", fd, target);
  }
  closedir(d);
}

void Env() {
  for (char** e = ::environ; *e != nullptr; ++e) printf("ENV %s\n", *e);
}

void ForkBomb() {
  int count = 0;
  for (;;) {
    pid_t pid = fork();
    if (pid == 0) {
      pause();
      _exit(0);
    }
    if (pid < 0) {
      printf("BLOCKED fork bomb after %d children (%s)\n", count, strerrorname_np(errno));
      break;
    }
    if (++count > 100000) {
      Escaped("fork bomb: 100000 children");
      break;
    }
  }
  printf("COUNT %d\n", count);
  fflush(stdout);
  // The children stay behind, paused, until the sandbox is stopped.
}

void* Sleeper(void*) {
  pause();
  return nullptr;
}

void Threads() {
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, 64 * 1024);
  int count = 0;
  for (; count < 10000; ++count) {
    pthread_t t;
    int rc = pthread_create(&t, &attr, Sleeper, nullptr);
    if (rc != 0) {
      printf("BLOCKED 10000 threads after %d (%s)\n", count, strerrorname_np(rc));
      break;
    }
  }
  if (count == 10000) Escaped("created 10000 threads");
  printf("COUNT %d\n", count);
  fflush(stdout);
  _exit(g_escaped ? 1 : 0);
}

void Touch(char* p, size_t size) {
  for (size_t i = 0; i < size; i += 4096) p[i] = 1;
}

// Memory bombs: each should end with this process OOM-killed.
void MemoryBomb(const char* how, size_t bytes) {
  if (strcmp(how, "anon") == 0) {
    char* p = static_cast<char*>(mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    if (p == MAP_FAILED) return Info("mmap failed");
    Touch(p, bytes);
  } else if (strcmp(how, "memfd") == 0 || strcmp(how, "shm") == 0) {
    int fd = strcmp(how, "memfd") == 0 ? static_cast<int>(syscall(SYS_memfd_create, "bomb", 0))
                                       : open("/dev/shm/bomb", O_RDWR | O_CREAT, 0600);
    if (fd < 0) return Info("open failed");
    static char chunk[1 << 20];
    memset(chunk, 1, sizeof(chunk));
    for (size_t done = 0; done < bytes; done += sizeof(chunk)) {
      if (write(fd, chunk, sizeof(chunk)) < 0) {
        printf("BLOCKED %s bomb at %zu MiB (%s)\n", how, done >> 20, strerrorname_np(errno));
        fflush(stdout);
        return;
      }
    }
  }
  Escaped(std::string(how) + " memory bomb survived");
}

void Fill(const char* path, size_t max) {
  signal(SIGXFSZ, SIG_IGN);
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return Info(std::string("open ") + path + " failed");
  static char chunk[1 << 20];
  size_t done = 0;
  for (;;) {
    ssize_t n = write(fd, chunk, sizeof(chunk));
    if (n <= 0) {
      printf("BLOCKED fill %s at %zu MiB (%s)\n", path, done >> 20, strerrorname_np(errno));
      break;
    }
    done += static_cast<size_t>(n);
    if (done > max) {
      Escaped(std::string("fill ") + path + " passed the cap");
      break;
    }
  }
  close(fd);
  unlink(path);
}

// Many files of `file_size` bytes below `dir` (each under RLIMIT_FSIZE), until a write fails:
// the total, not one file, is what a workspace cap must stop. The files stay for the host.
void FillFiles(const char* dir, size_t file_size, size_t max_total) {
  signal(SIGXFSZ, SIG_IGN);
  static char chunk[1 << 20];
  memset(chunk, 'x', sizeof(chunk));
  size_t total = 0;
  for (int i = 0;; ++i) {
    std::string path = std::string(dir) + "/fill-" + std::to_string(i);
    int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) {
      printf("BLOCKED fill-files %s at %zu MiB (%s)\n", dir, total >> 20, strerrorname_np(errno));
      return;
    }
    for (size_t done = 0; done < file_size;) {
      ssize_t n = write(fd, chunk, sizeof(chunk));
      if (n <= 0) {
        printf("BLOCKED fill-files %s at %zu MiB (%s)\n", dir, total >> 20,
               strerrorname_np(errno));
        close(fd);
        return;
      }
      done += static_cast<size_t>(n);
      total += static_cast<size_t>(n);
      if (total > max_total) {
        close(fd);
        return Escaped(std::string("fill-files ") + dir + " passed the cap");
      }
    }
    close(fd);
  }
}

void ForeignAbi(const char* which) {
  if (strcmp(which, "i386") == 0) {
    long ret = 20;  // getpid in the i386 table
    asm volatile("int $0x80" : "+a"(ret) : : "memory");
    printf("ESCAPED int 0x80 returned %ld\n", ret);
  } else {
    long ret = syscall(0x40000000 | SYS_getpid);  // the x32 ABI
    printf("ESCAPED x32 syscall returned %ld\n", ret);
  }
  fflush(stdout);
  ++g_escaped;
}

void Daemon(const char* marker) {
  // Double fork + setsid, ignoring SIGTERM and SIGHUP: survives its parent and session.
  // "started" is printed once the daemon runs `sleep <marker>`: the pipe's write end is
  // close-on-exec, so it reads EOF when the daemon has exec'd (and its parent exited).
  int started[2];
  if (pipe2(started, O_CLOEXEC) != 0) {
    printf("DAEMON pipe failed\n");
    return;
  }
  pid_t pid = fork();
  if (pid == 0) {
    close(started[0]);
    setsid();
    if (fork() == 0) {
      signal(SIGTERM, SIG_IGN);
      signal(SIGHUP, SIG_IGN);
      for (int fd = 0; fd < 3; ++fd) close(fd);
      execl("/bin/sleep", "sleep", marker, nullptr);
      _exit(1);
    }
    _exit(0);
  }
  close(started[1]);
  waitpid(pid, nullptr, 0);
  char byte;
  while (read(started[0], &byte, 1) > 0) {
  }
  close(started[0]);
  printf("DAEMON started\n");
}

void Spin() {
  for (unsigned long i = 0;; ++i) asm volatile("" : : "r"(i) : "memory");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  std::string c = argv[1];
  if (c == "host-files") HostFiles(argc, argv);
  else if (c == "mounts") Mounts();
  else if (c == "namespaces") Namespaces();
  else if (c == "proc-sys") ProcSys();
  else if (c == "ptrace") Ptrace(argc, argv);
  else if (c == "signals") Signals(argc, argv);
  else if (c == "tiocsti") Tiocsti();
  else if (c == "kernel-surface") KernelSurface();
  else if (c == "network") Network(argc, argv);
  else if (c == "fds") Fds();
  else if (c == "env") Env();
  else if (c == "fork-bomb") ForkBomb();
  else if (c == "threads") Threads();
  else if (c == "memory-bomb" && argc == 4) MemoryBomb(argv[2], strtoull(argv[3], nullptr, 10));
  else if (c == "fill" && argc == 4) Fill(argv[2], strtoull(argv[3], nullptr, 10));
  else if (c == "fill-files" && argc == 5) {
    FillFiles(argv[2], strtoull(argv[3], nullptr, 10), strtoull(argv[4], nullptr, 10));
  }
  else if (c == "foreign-abi" && argc == 3) ForeignAbi(argv[2]);
  else if (c == "daemon" && argc == 3) Daemon(argv[2]);
  else if (c == "spin") Spin();
  else return 2;
  return g_escaped ? 1 : 0;
}
