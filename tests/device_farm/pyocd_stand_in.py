#!/usr/bin/python3
"""A stand-in for device_farm/pyocd/mcutune_pyocd_bridge.py: same commands,
same arguments (it uses the bridge's own parser), same one-line JSON replies,
but the "board" behind the "probe" is qemu-system-arm.

Healthy behaviour is real, not canned:
  flash  validates the image with the bridge's loader and keeps a copy in the
         state directory (the board's flash survives between calls);
  run    starts QEMU halted (-S) on the flashed image (or --elf when nothing
         was flashed), with -icount and a QMP socket in a temp dir, resumes
         it, polls the magic of the result block at the ELF symbol
         `mcutune_result` with QMP `pmemsave` every --poll seconds, stops the
         CPU, reads the 104 bytes and kills QEMU: the bytes the firmware
         really wrote, exactly as the bridge would return them.
  list   lists the probes of MCUTUNE_STAND_IN_PROBES (minus unplugged ones).

Environment:
  MCUTUNE_STAND_IN_PROBES   comma-separated connected probe uids
                            (default "STANDIN0001")
  MCUTUNE_STAND_IN_STATE    directory for the flashed image, the call log
                            (calls.log, one JSON line per call) and fault
                            counters; optional
  MCUTUNE_STAND_IN_FAULT    comma-separated "<command>:<mode>[:<n>]"; the
                            fault hits the first n calls of <command>
                            (default: all). Modes:
      probe_busy       connect fails: the probe is open elsewhere
      dp_wait          the poll fails with a DP WAIT (QEMU is killed)
      transfer_fault   the poll gets a FAULT response
      probe_lost       the probe drops off the bus mid-run: QEMU is killed
                       once the core runs (after "cont", before the first
                       poll), the uid leaves the probe list
                       (until the state dir is cleared) and the failing poll
                       is classified like the bridge does
      flash_failed     flash programming reports failure
      garbage_block    the run completes but the block read back is corrupt
                       (valid magic and version, the rest 0xa5)
      hang             the process sleeps and never answers
      slow:<s>         (as "<command>:slow:<seconds>") sleep, then behave
      no_json          print a traceback-like text and exit 1
  MCUTUNE_STAND_IN_MACHINE  QEMU machine (default mps2-an500)
  MCUTUNE_STAND_IN_ICOUNT   icount shift (default 6)
  MCUTUNE_PYOCD_BRIDGE      the bridge whose parser/helpers are reused
                            (default: ../../device_farm/pyocd/ from here)
"""

import ctypes
import importlib.util
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def _load_bridge():
    path = os.environ.get("MCUTUNE_PYOCD_BRIDGE") or os.path.join(
        HERE, "..", "..", "device_farm", "pyocd", "mcutune_pyocd_bridge.py")
    spec = importlib.util.spec_from_file_location("mcutune_pyocd_bridge", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


bridge = _load_bridge()
BridgeError = bridge.BridgeError


# ---------------------------------------------------------------------------
# State: connected probes, the flashed image, fault counters.

def state_dir():
    path = os.environ.get("MCUTUNE_STAND_IN_STATE", "")
    if path:
        os.makedirs(path, exist_ok=True)
    return path


def connected_probes():
    uids = [u for u in os.environ.get("MCUTUNE_STAND_IN_PROBES", "STANDIN0001").split(",") if u]
    state = state_dir()
    if state and os.path.exists(os.path.join(state, "unplugged")):
        with open(os.path.join(state, "unplugged")) as f:
            gone = set(f.read().split())
        uids = [u for u in uids if u not in gone]
    return uids


def unplug(uid):
    state = state_dir()
    if state:
        with open(os.path.join(state, "unplugged"), "a") as f:
            f.write(uid + "\n")


def fault_for(command):
    """(mode, argument) of the fault hitting this call, or (None, None)."""
    spec = os.environ.get("MCUTUNE_STAND_IN_FAULT", "")
    for item in [s for s in spec.split(",") if s]:
        parts = item.split(":")
        if parts[0] != command or len(parts) < 2:
            continue
        mode = parts[1]
        arg = None
        if mode == "slow":
            arg = float(parts[2]) if len(parts) > 2 else 1.0
            limit = int(parts[3]) if len(parts) > 3 else None
        else:
            limit = int(parts[2]) if len(parts) > 2 else None
        if limit is not None:
            state = state_dir()
            if not state:
                raise BridgeError("bad_args", "counted faults need MCUTUNE_STAND_IN_STATE")
            counter = os.path.join(state, "fault-%s-%s.count" % (command, mode))
            seen = int(open(counter).read()) if os.path.exists(counter) else 0
            with open(counter, "w") as f:
                f.write(str(seen + 1))
            if seen >= limit:
                continue
        return mode, arg
    return None, None


def log_call(argv):
    state = state_dir()
    if state:
        with open(os.path.join(state, "calls.log"), "a") as f:
            f.write(json.dumps({"argv": argv, "time": time.time()}) + "\n")


def require_probe(uid):
    if uid.lower() not in [u.lower() for u in connected_probes()]:
        raise BridgeError("probe_not_found", "no probe with unique id %s is connected" % uid)


# ---------------------------------------------------------------------------
# QEMU behind a QMP socket.

def _die_with_parent():
    # If the stand-in exits (watchdog, kill), QEMU must not outlive it.
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


class Qemu:
    def __init__(self, image, connect_timeout):
        self.tmp = tempfile.mkdtemp(prefix="mcutune-standin-")
        sock = os.path.join(self.tmp, "qmp.sock")
        machine = os.environ.get("MCUTUNE_STAND_IN_MACHINE", "mps2-an500")
        icount = os.environ.get("MCUTUNE_STAND_IN_ICOUNT", "6")
        argv = ["qemu-system-arm", "-machine", machine, "-nographic", "-monitor", "none",
                "-serial", "null", "-icount", "shift=" + icount, "-S",
                "-qmp", "unix:%s,server=on,wait=off" % sock]
        kind, path, base = image
        if kind == "elf":
            argv += ["-kernel", path]
        elif kind == "bin":
            argv += ["-device", "loader,file=%s,addr=0x%x,force-raw=on" % (path, base)]
        else:
            argv += ["-device", "loader,file=%s" % path]
        self.endpoint = "stand-in: qemu-system-arm %s -icount shift=%s" % (machine, icount)
        try:
            self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                         preexec_fn=_die_with_parent)
        except OSError as exc:
            shutil.rmtree(self.tmp, ignore_errors=True)
            raise BridgeError("probe_error", "cannot start qemu-system-arm: %s" % exc)
        deadline = time.monotonic() + connect_timeout
        self.sock = None
        while self.sock is None:
            if self.proc.poll() is not None:
                err = self.proc.stderr.read().decode(errors="replace")
                self.close()
                raise BridgeError("bad_image", "QEMU exited at start: %s" % err.strip()[-500:])
            try:
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.connect(sock)
                self.sock = s
            except OSError:
                s.close()
                if time.monotonic() > deadline:
                    self.close()
                    raise BridgeError("connect_timeout", "QMP socket never came up")
                time.sleep(0.02)
        self.sock.settimeout(max(connect_timeout, 5.0))
        self.reader = self.sock.makefile("r")
        self._read_reply(greeting=True)
        self.command("qmp_capabilities")

    def _read_reply(self, greeting=False):
        while True:
            line = self.reader.readline()
            if not line:
                raise ConnectionError("QMP connection closed")
            msg = json.loads(line)
            if greeting and "QMP" in msg:
                return msg
            if "return" in msg:
                return msg["return"]
            if "error" in msg:
                raise RuntimeError("QMP error: %s" % msg["error"].get("desc"))
            # asynchronous events ("event": "STOP", ...) are skipped

    def command(self, name, **arguments):
        msg = {"execute": name}
        if arguments:
            msg["arguments"] = arguments
        self.sock.sendall((json.dumps(msg) + "\n").encode())
        return self._read_reply()

    def read(self, address, size):
        path = os.path.join(self.tmp, "mem.bin")
        self.command("pmemsave", val=address, size=size, filename=path)
        with open(path, "rb") as f:
            return f.read()

    def pc(self):
        try:
            text = self.command("human-monitor-command", **{"command-line": "info registers"})
            for token in text.replace("\n", " ").split():
                if token.startswith("R15="):
                    return "0x" + token[4:].lower()
        except Exception:
            pass
        return "unknown"

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()

    def close(self):
        try:
            self.kill()
        finally:
            shutil.rmtree(self.tmp, ignore_errors=True)


# ---------------------------------------------------------------------------
# Commands.

def hang():
    while True:
        time.sleep(3600)


def apply_common_fault(mode, arg, uid):
    if mode == "slow":
        time.sleep(arg)
    elif mode == "hang":
        hang()
    elif mode == "no_json":
        sys.stderr.write("Traceback (most recent call last):\n  stand-in crash\n")
        bridge._claim_stdout().write("this is not JSON\n")
        bridge._claim_stdout().flush()
        os._exit(1)
    elif mode == "probe_busy":
        raise BridgeError("probe_busy", "connecting: ProbeError: Unable to open device | "
                          "USBError: [Errno 16] Resource busy (stand-in)")


def cmd_list(args, watchdog):
    mode, arg = fault_for("list")
    apply_common_fault(mode, arg, None)
    return {"ok": True, "probes": [
        {"uid": uid, "description": "mcutune pyOCD stand-in (QEMU)", "vendor": "mcutune",
         "product": "stand-in", "board": ""} for uid in connected_probes()]}


def cmd_flash(args, watchdog):
    chunks = bridge.load_image(args.file, args.base)  # same validation as the bridge
    mode, arg = fault_for("flash")
    if mode == "hang":  # wedged before any of our own deadlines is armed
        hang()
    watchdog.arm(args.connect_timeout, "connect_timeout", "connect")
    apply_common_fault(mode, arg, args.uid)
    require_probe(args.uid)
    watchdog.arm(args.timeout, "step_timeout", "flash")
    if mode == "flash_failed":
        raise BridgeError("flash_failed", "FlashFailure: verify failed at 0x%08x (stand-in)"
                          % chunks[0][0])
    state = state_dir()
    if state:
        with open(args.file, "rb") as f:
            head = f.read(4)
        kind = "elf" if head == b"\x7fELF" else ("hex" if args.file.lower().endswith(".hex")
                                                else "bin")
        image = os.path.join(state, "flash." + kind)
        shutil.copyfile(args.file, image)
        with open(os.path.join(state, "flash.json"), "w") as f:
            json.dump({"kind": kind, "path": image, "base": chunks[0][0]}, f)
    watchdog.disarm()
    return {"ok": True, "bytes": sum(len(d) for _, d in chunks),
            "address": "0x%08x" % chunks[0][0], "seconds": 0.0}


def flashed_image(elf):
    state = state_dir()
    if state and os.path.exists(os.path.join(state, "flash.json")):
        with open(os.path.join(state, "flash.json")) as f:
            rec = json.load(f)
        return rec["kind"], rec["path"], rec["base"]
    return "elf", os.path.abspath(elf), 0


def cmd_run(args, watchdog):
    address = bridge.result_symbol_address(args.elf)
    start = time.monotonic()
    mode, arg = fault_for("run")
    if mode == "hang":  # wedged before any of our own deadlines is armed
        hang()
    watchdog.arm(args.connect_timeout, "connect_timeout", "connect")
    apply_common_fault(mode, arg, args.uid)
    require_probe(args.uid)
    qemu = Qemu(flashed_image(args.elf), args.connect_timeout)
    try:
        watchdog.arm(args.timeout + 2.0 * args.connect_timeout, "step_timeout", "run")
        qemu.command("cont")  # = reset_stop_on_reset + clear block + resume
        deadline = time.monotonic() + args.timeout
        polls = 0
        while True:
            if polls == 0 and mode in ("probe_lost", "dp_wait", "transfer_fault"):
                qemu.kill()  # the board/probe stops answering mid-run
                if mode == "probe_lost":
                    unplug(args.uid)
            try:
                word = qemu.read(address, 4)
            except Exception as exc:
                if mode == "dp_wait":
                    raise BridgeError("dp_wait", "poll: ProbeError: STLink error (20): DP wait")
                if mode == "transfer_fault":
                    raise BridgeError("transfer_fault", "poll: TransferFaultError @ 0x%08x"
                                      % address)
                present = args.uid in connected_probes()
                raise BridgeError("probe_error" if present else "probe_lost",
                                  "poll: %s: %s" % (type(exc).__name__, exc))
            polls += 1
            if int.from_bytes(word, "little") == bridge.RESULT_MAGIC:
                break
            if time.monotonic() >= deadline:
                qemu.command("stop")
                raise BridgeError("target_timeout", "no result block after %.1f s (pc=%s)"
                                  % (args.timeout, qemu.pc()))
            time.sleep(min(args.poll, max(0.0, deadline - time.monotonic())))
        qemu.command("stop")
        block = qemu.read(address, bridge.RESULT_BYTES)
        if mode == "garbage_block":
            block = block[:8] + b"\xa5" * (bridge.RESULT_BYTES - 8)
        watchdog.disarm()
        return {"ok": True, "result_block_hex": block.hex(), "address": "0x%08x" % address,
                "seconds": round(time.monotonic() - start, 3), "endpoint": qemu.endpoint}
    finally:
        qemu.close()


COMMANDS = {"list": cmd_list, "flash": cmd_flash, "run": cmd_run}


def main(argv):
    bridge._claim_stdout()
    watchdog = bridge.Watchdog()
    step = argv[0] if argv else "?"
    try:
        log_call(argv)
        args = bridge.parse_args(argv)
        step = args.command
        bridge.emit(COMMANDS[args.command](args, watchdog))
        return 0
    except BridgeError as err:
        bridge.emit_error(err.code, err.detail, step)
    except Exception as exc:
        bridge.emit_error("internal", "%s: %s" % (type(exc).__name__, exc), step)
    finally:
        watchdog.disarm()
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
