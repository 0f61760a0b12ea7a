/* Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
 *
 * The sandbox's pid 1 after setup: a freestanding static program (no libc, a few pages of
 * memory) that only reaps. The launcher embeds it and execs it from a memfd, so an idle
 * sandbox costs no copy of the supervisor's page tables. x86_64 only; other architectures
 * keep the forked reaper (pid_ns.cc). */
#include <asm/unistd.h>
#include <linux/wait.h>

#define SIGCHLD_BIT (1ul << (17 - 1))

static long Syscall4(long n, long a, long b, long c, long d) {
  long ret;
  register long r10 __asm__("r10") = d;
  __asm__ volatile("syscall"
                   : "=a"(ret)
                   : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10)
                   : "rcx", "r11", "memory");
  return ret;
}

void _start(void) {
  /* SIGCHLD stays blocked, so it is queued (never discarded for pid 1) and
   * rt_sigtimedwait returns as soon as a child, adopted orphans included, exits. */
  unsigned long all = ~0ul;
  unsigned long chld = SIGCHLD_BIT;
  Syscall4(__NR_rt_sigprocmask, 0 /* SIG_BLOCK */, (long)&all, 0, 8);
  for (;;) {
    while (Syscall4(__NR_wait4, -1, 0, WNOHANG | __WALL, 0) > 0) {
    }
    Syscall4(__NR_rt_sigtimedwait, (long)&chld, 0, 0, 8);
  }
}
