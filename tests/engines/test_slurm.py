"""The README's SLURM job array on a real one-node SLURM cluster.

The test starts munged (a key of its own), slurmctld and slurmd from
Debian's packages (slurm-wlm, munge) as its own processes, with a minimal
slurm.conf it writes: this host's name as SlurmctldHost and as the one
node, ports picked free, state, spool and logs in a temporary directory,
proctrack/linuxproc, task/none, no accounting.  It writes the README's
shard.sh, submits it with `sbatch --wait --array=1-3` in the directory
holding inputs.txt, and checks every shard's archives as the e2e shard
tests do, plus `csvpack verify` on each shard's output directory.  The
daemons are stopped on every exit path (tearDown; each in its own process
group, SIGTERM then SIGKILL), and whatever they left is killed and
reported.
"""

import os
import re
import socket

import helpers as h
import engines as eng
import test_recipes as recipes

SLURM_TOOLS = ["/usr/sbin/slurmctld", "/usr/sbin/slurmd", "sbatch",
               "scontrol", "sinfo", "/usr/sbin/munged", "munge", "unmunge"]
START_TIMEOUT = 30
JOB_TIMEOUT = 120

# `sbatch --array=1-3 shard.sh` as the README gives it, with --wait (so the
# test sees the array's end; its exit status is the highest of the tasks')
SUBMIT = "sbatch --wait --array=1-3 shard.sh"

SLURM_CONF = """\
# written by tests/engines/test_slurm.py: a one-node cluster on this host
ClusterName=csvpacktest
SlurmctldHost={host}
SlurmctldPort={ctld_port}
SlurmdPort={slurmd_port}
SlurmUser={user}
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket={munge_socket}
StateSaveLocation={state}/ctld
SlurmdSpoolDir={state}/spool
SlurmctldPidFile={state}/slurmctld.pid
SlurmdPidFile={state}/slurmd.pid
SlurmctldLogFile={state}/slurmctld.log
SlurmdLogFile={state}/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SwitchType=switch/none
MpiDefault=none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
MessageTimeout=10
SlurmctldTimeout=30
SlurmdTimeout=30
InactiveLimit=0
KillWait=5
MinJobAge=300
{node}
PartitionName=engines Nodes={host} Default=YES MaxTime=INFINITE State=UP
"""

# the README's shard.sh: its shebang and the body test_recipes holds
SHARD_SH = "#!/bin/bash\n" + recipes.SHARD_SLURM


class SlurmJobArray(eng.EngineCase):

    def start_munge(self):
        key = os.path.join(self.state, "munge.key")
        with open(key, "wb") as f:
            f.write(os.urandom(1024))
        os.chmod(key, 0o400)
        sock = os.path.join(self.state, "munge.socket")
        # --force: the socket is in the test's own directory (mode 0700),
        # which munged otherwise refuses as not reachable by every user;
        # here only this user's processes (the daemons, sbatch) use it
        d = self.daemon("munged", [
            "/usr/sbin/munged", "--foreground", "--force",
            "--key-file=" + key, "--socket=" + sock,
            "--pid-file=" + os.path.join(self.state, "munged.pid"),
            "--seed-file=" + os.path.join(self.state, "munged.seed"),
            "--log-file=" + os.path.join(self.state, "munged.file.log")])

        def works():
            p = h.run(["bash", "-c", 'munge -n -S "$1" | unmunge -S "$1"',
                       "-", sock], timeout=10)
            return p.returncode == 0
        if not eng.wait_until(lambda: not d.alive() or works(),
                              START_TIMEOUT) or not d.alive():
            self.skip_daemon("slurm", d, "no credential from its socket "
                             "within %d s" % START_TIMEOUT)
        return sock

    def test_sbatch_wait_array_of_shard_sh(self):
        self.skip_unless_tools("slurm", SLURM_TOOLS, "slurm-wlm and munge")
        host = socket.gethostname().split(".")[0]
        try:
            socket.gethostbyname(host)
        except OSError as e:
            self.skipTest("slurm: this host's name %r does not resolve (%s); "
                          "SlurmctldHost needs it" % (host, e))
        sock = self.start_munge()

        # The node line as slurmd sees this machine, so it is not drained
        # for a mismatch (CPUs, sockets, cores, memory).
        c = h.run(["/usr/sbin/slurmd", "-C"], timeout=20)
        m = re.search(r"(?m)^NodeName=\S+ .*$", c.stdout.decode())
        self.assertTrue(m, "slurmd -C: %r %r" % (c.stdout, c.stderr))
        node = re.sub(r"^NodeName=\S+", "NodeName=" + host, m.group(0))
        ctld_port, slurmd_port = eng.free_ports(2)
        for sub in ("ctld", "spool"):
            os.makedirs(os.path.join(self.state, sub))
        conf = os.path.join(self.state, "slurm.conf")
        with open(conf, "w", encoding="utf-8") as f:
            f.write(SLURM_CONF.format(
                host=host, ctld_port=ctld_port, slurmd_port=slurmd_port,
                user="root" if os.getuid() == 0 else os.environ.get(
                    "USER", str(os.getuid())),
                munge_socket=sock, state=self.state, node=node))
        senv = {"SLURM_CONF": conf}

        ctld = self.daemon("slurmctld", ["/usr/sbin/slurmctld", "-D", "-c",
                                         "-i", "-f", conf], env=senv)

        def ctld_up():
            p = h.run(["scontrol", "ping"], env=senv, timeout=15)
            return b"is UP" in p.stdout
        if not eng.wait_until(lambda: not ctld.alive() or ctld_up(),
                              START_TIMEOUT) or not ctld.alive():
            self.skip_daemon("slurm", ctld, "not answering `scontrol ping` "
                             "within %d s" % START_TIMEOUT)
        slurmd = self.daemon("slurmd", ["/usr/sbin/slurmd", "-D", "-f", conf,
                                        "-N", host], env=senv)

        def node_idle():
            p = h.run(["sinfo", "-h", "-N", "-n", host, "-o", "%T"],
                      env=senv, timeout=15)
            return p.stdout.decode().strip() == "idle"
        if not eng.wait_until(lambda: not slurmd.alive() or node_idle(),
                              START_TIMEOUT, step=0.5) or not slurmd.alive():
            s = h.run(["scontrol", "show", "node", host], env=senv,
                      timeout=15)
            reason = re.search(r"Reason=.*", s.stdout.decode())
            self.skip_daemon("slurm", slurmd, "node %s not idle within %d s%s"
                             % (host, START_TIMEOUT,
                                "; " + reason.group(0) if reason else ""))

        # The job: the README's shard.sh in the directory holding
        # inputs.txt; sbatch hands its environment to the tasks (the
        # default --export=ALL), so bin/ first on PATH there stands for
        # "csvpack installed on each host".
        base = self.dir
        paths, plan = recipes.Shards.make_inputs(self, base)
        with open(os.path.join(base, "shard.sh"), "w") as f:
            f.write(SHARD_SH)
        p = self.sh(SUBMIT, cwd=base, timeout=JOB_TIMEOUT, **senv)
        self.assertSh(p, 0, SUBMIT + "\nslurmctld: %s\nslurmd: %s"
                      % (ctld.tail(), slurmd.tail()))
        m = re.match(r"Submitted batch job (\d+)$",
                     p.stdout.decode().strip().splitlines()[0])
        self.assertTrue(m, p.stdout)
        job = m.group(1)
        # each task's output (stdout and stderr) in slurm-JOB_TASK.out;
        # with -q a task prints only its archives
        outs = sorted(n for n in os.listdir(base) if n.startswith("slurm-"))
        self.assertEqual(outs, ["slurm-%s_%d.out" % (job, i)
                                for i in (1, 2, 3)])
        results = []
        for i in (1, 2, 3):
            with open(os.path.join(base, "slurm-%s_%d.out" % (job, i)),
                      "rb") as f:
                results.append((i, eng.result(0, f.read())))
        recipes.Shards.check_shards(self, base, paths, plan, results)
        self.check_shard_verify(base, paths, plan)
        # every task of the array ran on the cluster and completed
        s = h.run(["scontrol", "-o", "show", "job", job], env=senv,
                  timeout=15)
        states = re.findall(r"ArrayTaskId=(\d+) .*?JobState=(\S+)",
                            s.stdout.decode())
        self.assertEqual(sorted(states), [("1", "COMPLETED"),
                                          ("2", "COMPLETED"),
                                          ("3", "COMPLETED")], s.stdout)
        left = self.stop_all()
        self.assertEqual(left, [], "left running by the cluster")
