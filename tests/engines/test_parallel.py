"""The README's GNU parallel line, over ssh, to three "hosts".

The test starts sshd (Debian's openssh-server) as its own process,
`/usr/sbin/sshd -D -f CONFIG -e`, on a free high port of the loopback,
with a throwaway host key and a throwaway user key, and runs the README's
`parallel --sshlogin host1,host2,host3 ...` line as written, but for what
only a real cluster has (each substitution is said where it is made):

- the workdir: `/shared/job` -> the test's temporary directory (the
  storage "all hosts see" is this machine's);
- the hosts: host1, host2 and host3 are mapped to 127.0.0.1 at sshd's port,
  with the user key and a known_hosts holding the host key, in an ssh
  config the test writes; PARALLEL_SSH='ssh -F CONFIG' points parallel's
  ssh at it;
- the remote PATH: sshd's SetEnv puts bin/ first on the PATH of the
  sessions (for "csvpack installed on each host").

It then checks every shard's archives as the e2e shard tests do, plus
`csvpack verify` on each shard's output directory.  sshd is stopped on
every exit path (tearDown), and whatever it left is killed and reported.
"""

import os
import pwd
import shlex
import shutil

import helpers as h
import engines as eng
import test_recipes as recipes

SSH_TOOLS = ["/usr/sbin/sshd", "ssh", "ssh-keygen", "parallel", "perl"]
START_TIMEOUT = 20
JOB_TIMEOUT = 120
README_WORKDIR = "/shared/job"

SSHD_CONFIG = """\
# written by tests/engines/test_parallel.py: loopback only, keys only
Port {port}
ListenAddress 127.0.0.1
HostKey {state}/host_key
PidFile {state}/sshd.pid
AuthorizedKeysFile {state}/authorized_keys
AllowUsers {user}
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
UsePAM no
StrictModes no
X11Forwarding no
AllowTcpForwarding no
PermitTunnel no
MaxStartups 30:30:60
LogLevel INFO
# substitution: the remote PATH (csvpack "installed on each host")
SetEnv PATH={path}
"""

SSH_CONFIG = """\
# written by tests/engines/test_parallel.py
# substitution: the README's host names, all three this machine's sshd
Host host1 host2 host3
  HostName 127.0.0.1
  Port {port}
  User {user}
  IdentityFile {state}/user_key
  IdentitiesOnly yes
  UserKnownHostsFile {state}/known_hosts
  GlobalKnownHostsFile /dev/null
  StrictHostKeyChecking yes
  BatchMode yes
  ConnectTimeout 10
  ServerAliveInterval 5
  ServerAliveCountMax 3
  ControlMaster no
  ControlPath none
  LogLevel ERROR
"""


class ParallelOverSsh(eng.EngineCase):

    def keygen(self, name):
        path = os.path.join(self.state, name)
        p = h.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C",
                   "csvpack-engines-" + name, "-f", path], timeout=30)
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(path + ".pub", encoding="ascii") as f:
            return f.read().strip()

    def logins(self, sshd):
        """Logins sshd has logged (-e: its log on stderr, in sshd.log)."""
        with open(sshd.log, encoding="utf-8", errors="replace") as f:
            return sum("Accepted publickey" in ln for ln in f)

    def privsep_dir(self):
        """sshd needs its privilege separation directory (the package's
        service makes it at boot: /run/sshd); made here if missing, and
        removed again at the end."""
        d = "/run/sshd"
        if os.path.isdir(d):
            return
        try:
            os.makedirs(d, 0o755)
        except OSError as e:
            self.skipTest("parallel: sshd cannot start here: no %s and it "
                          "cannot be made (%s)" % (d, e))
        self.addCleanup(shutil.rmtree, d, True)

    def test_readme_parallel_sshlogin_line(self):
        self.skip_unless_tools("parallel", SSH_TOOLS,
                               "openssh-server, openssh-client and parallel")
        user = pwd.getpwuid(os.getuid()).pw_name
        self.privsep_dir()
        host_pub = self.keygen("host_key")
        user_pub = self.keygen("user_key")
        with open(os.path.join(self.state, "authorized_keys"), "w") as f:
            f.write(user_pub + "\n")
        port = eng.free_port()
        with open(os.path.join(self.state, "known_hosts"), "w") as f:
            f.write("[127.0.0.1]:%d %s\n" % (port, " ".join(
                host_pub.split()[:2])))
        remote_path = h.BIN + ":/usr/local/bin:/usr/bin:/bin"
        sshd_conf = os.path.join(self.state, "sshd_config")
        with open(sshd_conf, "w") as f:
            f.write(SSHD_CONFIG.format(port=port, state=self.state,
                                       user=user, path=remote_path))
        ssh_conf = os.path.join(self.state, "ssh_config")
        with open(ssh_conf, "w") as f:
            f.write(SSH_CONFIG.format(port=port, state=self.state, user=user))
        t = h.run(["/usr/sbin/sshd", "-t", "-f", sshd_conf], timeout=20)
        if t.returncode != 0:
            self.skipTest("parallel: sshd cannot start here: `sshd -t` "
                          "rejects the config: %s"
                          % t.stderr.decode().strip()[-300:])
        sshd = self.daemon("sshd", ["/usr/sbin/sshd", "-D", "-f", sshd_conf,
                                    "-e"])
        # listening: its own word for it (-e, LogLevel INFO), not merely
        # something answering on the port
        listening = "Server listening on 127.0.0.1 port %d." % port
        if not eng.wait_until(lambda: not sshd.alive() or
                              listening in sshd.tail(20), START_TIMEOUT) \
                or not sshd.alive():
            self.skip_daemon("parallel", sshd, "not listening on 127.0.0.1:%d"
                             " within %d s" % (port, START_TIMEOUT))
        # the hosts answer, with csvpack on their PATH
        for host in ("host1", "host2", "host3"):
            p = h.run(["ssh", "-F", ssh_conf, host, "command -v csvpack"],
                      timeout=30)
            self.assertEqual((p.returncode, p.stdout.decode().strip()),
                             (0, os.path.join(h.BIN, "csvpack")),
                             "ssh %s: %s\nsshd: %s"
                             % (host, p.stderr.decode()[-1000:],
                                sshd.tail()))

        logins = self.logins(sshd)
        self.assertEqual(logins, 3, "sshd logged %d logins for the 3 "
                         "probes" % logins)

        base = self.dir
        paths, plan = recipes.Shards.make_inputs(self, base)
        # substitution: the workdir, /shared/job -> the temporary directory
        # holding inputs.txt (the one substitution in the line itself)
        line = recipes.SHARD_PARALLEL
        self.assertEqual(line.count(README_WORKDIR), 1)
        line = line.replace(README_WORKDIR, shlex.quote(base))
        home = os.path.join(self.state, "home")
        os.makedirs(home)
        p = self.sh(line, cwd=base, timeout=JOB_TIMEOUT,
                    # substitution: parallel's ssh reads the config above
                    PARALLEL_SSH="ssh -F " + shlex.quote(ssh_conf),
                    # parallel's own files (~/.parallel) in a home of the
                    # test's, not the user's
                    HOME=home)
        self.assertSh(p, 0, line + "\nsshd: " + sshd.tail())
        # the jobs went over ssh: at least one login for each
        self.assertGreaterEqual(self.logins(sshd) - logins, 3,
                                "parallel logged in fewer than 3 times")
        # parallel prints each job's output whole, in the order the jobs
        # end: with -q a shard prints only its archives, out/shardI/...
        out = p.stdout.decode().splitlines()
        results = []
        for i in (1, 2, 3):
            mine = [ln for ln in out if ln.startswith("out/shard%d/" % i)]
            results.append((i, eng.result(p.returncode,
                                          "".join(ln + "\n" for ln in mine)
                                          .encode(), p.stderr)))
        self.assertEqual(sum(len(r.stdout.splitlines()) for _, r in results),
                         len(out), "lines of no shard: %r" % out)
        recipes.Shards.check_shards(self, base, paths, plan, results)
        self.check_shard_verify(base, paths, plan)
        left = self.stop_all()
        self.assertEqual(left, [], "left running by sshd's sessions")
