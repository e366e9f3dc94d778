#!/usr/bin/python3
"""mcutune's bridge to pyOCD: one process per step, one JSON line out.

The C++ board (device_farm/pyocd_board.cc) never links pyOCD; it runs

  /usr/bin/python3 mcutune_pyocd_bridge.py list  [--timeout S]
  /usr/bin/python3 mcutune_pyocd_bridge.py flash --uid UID --file F [--base ADDR] [common]
  /usr/bin/python3 mcutune_pyocd_bridge.py run   --uid UID --elf E [--poll S]     [common]
  common: --target T --frequency HZ --connect-timeout S --timeout S [--no-halt-on-connect]

and reads exactly one line from stdout:

  {"ok": true, "probes": [{"uid": ..., "description": ..., ...}]}          list
  {"ok": true, "bytes": N, "address": "0x08000000", "seconds": 1.2}          flash
  {"ok": true, "result_block_hex": "4d435254...", "address": "0x...", ...}   run
  {"ok": false, "error": "<code>", "detail": "...", "step": "connect"}       any

`run`: reset and halt at the reset vector, clear the RAM result block at the
ELF symbol `mcutune_result` (its section is NOLOAD, so a previous run's
block survives a reset), resume, poll the block's magic (written last by the
firmware) until it appears or --timeout passes, halt, read the 104 bytes.
Decoding is the caller's job (device_farm/result_block_decoder.h).

Error codes (stable; docs/device_farm_pyocd.md maps them to statuses):
  bad_args bad_elf no_result_symbol bad_image bad_target pyocd_missing
  probe_not_found probe_access_denied probe_busy probe_lost dp_wait
  transfer_fault transfer_error probe_error connect_timeout step_timeout
  flash_unsupported flash_failed target_timeout internal

Written for Debian's python3-pyocd 0.13.1 (Session, ConnectHelper,
target.reset_stop_on_reset, Flash/FlashBuilder); not run against a real probe
yet. The test stand-in (tests/device_farm/pyocd_stand_in.py) reuses the
argument parser and ELF helpers of this file so both speak one protocol.
"""

import argparse
import errno
import json
import os
import struct
import sys
import threading
import time

RESULT_SYMBOL = "mcutune_result"
RESULT_BYTES = 104
RESULT_MAGIC = 0x5452434D  # "MCRT", little-endian at offset 0

EXIT_OK = 0
EXIT_FAILED = 1


class BridgeError(Exception):
    """A failure with a stable code."""

    def __init__(self, code, detail):
        super().__init__("%s: %s" % (code, detail))
        self.code = code
        self.detail = detail


# ---------------------------------------------------------------------------
# Output: exactly one JSON line, even when a watchdog fires mid-call.

_OUT_LOCK = threading.Lock()
_OUT_DONE = False
_REAL_STDOUT = None


def _claim_stdout():
    """Keeps the real stdout for the JSON line; library prints go to stderr."""
    global _REAL_STDOUT
    if _REAL_STDOUT is None:
        _REAL_STDOUT = os.fdopen(os.dup(sys.stdout.fileno()), "w")
        sys.stdout = sys.stderr
    return _REAL_STDOUT


def emit(obj):
    """Writes the one result line; later calls are ignored. True if written."""
    global _OUT_DONE
    with _OUT_LOCK:
        if _OUT_DONE:
            return False
        _OUT_DONE = True
        out = _claim_stdout()
        out.write(json.dumps(obj, sort_keys=True) + "\n")
        out.flush()
        return True


def emit_error(code, detail, step):
    emit({"ok": False, "error": code, "detail": str(detail)[:2000], "step": step})


class Watchdog:
    """Reports `code` and exits the process if a step overruns its limit.

    pyOCD calls block in USB I/O without timeouts of their own; a hung call
    can only be escaped by leaving the process (the OS closes the device).
    """

    def __init__(self):
        self._timer = None

    def arm(self, seconds, code, step):
        self.disarm()

        def fire():
            if emit({"ok": False, "error": code, "step": step,
                     "detail": "%s step did not finish within %.1f s" % (step, seconds)}):
                os._exit(EXIT_FAILED)

        self._timer = threading.Timer(max(0.0, seconds), fire)
        self._timer.daemon = True
        self._timer.start()

    def disarm(self):
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None


# ---------------------------------------------------------------------------
# Arguments (shared with the stand-in).

class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise BridgeError("bad_args", message)


def _positive(text):
    value = float(text)
    if not value > 0 or value > 86400:
        raise argparse.ArgumentTypeError("must be in (0, 86400]")
    return value


def _address(text):
    value = int(text, 0)
    if value < 0 or value > 0xFFFFFFFF:
        raise argparse.ArgumentTypeError("not a 32-bit address")
    return value


def make_parser():
    parser = _Parser(prog="mcutune_pyocd_bridge", add_help=False)
    sub = parser.add_subparsers(dest="command")
    sub.required = True

    def common(p):
        p.add_argument("--uid", required=True)
        p.add_argument("--target", default="")
        p.add_argument("--frequency", type=int, default=4000000)
        p.add_argument("--connect-timeout", type=_positive, default=15.0)
        p.add_argument("--timeout", type=_positive, default=60.0)
        p.add_argument("--no-halt-on-connect", action="store_true")

    p_list = sub.add_parser("list", add_help=False)
    p_list.add_argument("--timeout", type=_positive, default=10.0)
    p_flash = sub.add_parser("flash", add_help=False)
    common(p_flash)
    p_flash.add_argument("--file", required=True)
    p_flash.add_argument("--base", type=_address, default=None)
    p_run = sub.add_parser("run", add_help=False)
    common(p_run)
    p_run.add_argument("--elf", required=True)
    p_run.add_argument("--poll", type=_positive, default=0.05)
    return parser


def parse_args(argv):
    args = make_parser().parse_args(argv)
    if args.command != "list":
        if not args.uid or any(c.isspace() for c in args.uid):
            raise BridgeError("bad_args", "probe uid must be non-empty, no spaces")
        if args.frequency <= 0 or args.frequency > 100000000:
            raise BridgeError("bad_args", "--frequency out of range")
    return args


# ---------------------------------------------------------------------------
# ELF and image helpers (pyelftools and intelhex: pyOCD's own dependencies).

def result_symbol_address(elf_path):
    """Address of `mcutune_result` and its size, from the ELF symbol table."""
    try:
        from elftools.elf.elffile import ELFFile
        from elftools.common.exceptions import ELFError
    except ImportError as exc:
        raise BridgeError("pyocd_missing", "pyelftools not importable: %s" % exc)
    try:
        with open(elf_path, "rb") as f:
            elf = ELFFile(f)
            symtab = elf.get_section_by_name(".symtab")
            if symtab is None:
                raise BridgeError("no_result_symbol", "%s has no symbol table" % elf_path)
            symbols = symtab.get_symbol_by_name(RESULT_SYMBOL) or []
            for sym in symbols:
                if sym["st_info"]["type"] == "STT_OBJECT":
                    size = sym["st_size"]
                    if size != RESULT_BYTES:
                        raise BridgeError("no_result_symbol", "%s is %d bytes, expected %d"
                                          % (RESULT_SYMBOL, size, RESULT_BYTES))
                    return sym["st_value"]
            raise BridgeError("no_result_symbol", "no object symbol %s in %s"
                              % (RESULT_SYMBOL, elf_path))
    except OSError as exc:
        raise BridgeError("bad_elf", "cannot read %s: %s" % (elf_path, exc))
    except ELFError as exc:
        raise BridgeError("bad_elf", "%s is not an ELF file: %s" % (elf_path, exc))


def load_image(path, base):
    """[(address, bytes)] to program: PT_LOAD segments of an ELF (physical
    addresses), the records of an Intel HEX file, or a raw .bin at `base`."""
    try:
        with open(path, "rb") as f:
            head = f.read(4)
    except OSError as exc:
        raise BridgeError("bad_image", "cannot read %s: %s" % (path, exc))
    if head == b"\x7fELF":
        from elftools.elf.elffile import ELFFile
        chunks = []
        with open(path, "rb") as f:
            elf = ELFFile(f)
            for seg in elf.iter_segments():
                if seg["p_type"] == "PT_LOAD" and seg["p_filesz"] > 0:
                    chunks.append((seg["p_paddr"], seg.data()[:seg["p_filesz"]]))
        if not chunks:
            raise BridgeError("bad_image", "%s has no loadable segment" % path)
        return chunks
    if path.lower().endswith(".hex"):
        from intelhex import IntelHex
        try:
            ih = IntelHex(path)
        except Exception as exc:  # intelhex raises its own hierarchy
            raise BridgeError("bad_image", "bad Intel HEX %s: %s" % (path, exc))
        return [(start, ih.tobinstr(start=start, end=end - 1))
                for start, end in ih.segments()]
    if base is None:
        raise BridgeError("bad_args", "--base is required for a raw binary")
    with open(path, "rb") as f:
        data = f.read()
    if not data:
        raise BridgeError("bad_image", "%s is empty" % path)
    return [(base, data)]


# ---------------------------------------------------------------------------
# pyOCD failures -> stable codes.

def _chain(exc):
    seen = []
    while exc is not None and exc not in seen and len(seen) < 8:
        seen.append(exc)
        exc = exc.__cause__ or exc.__context__
    return seen


def describe(exc):
    """'Type: message <- CauseType: message ...' for error details."""
    return " <- ".join("%s: %s" % (type(e).__name__, e) for e in _chain(exc))


def classify(exc):
    """The code for an exception raised by pyOCD or pyusb (walks the cause
    chain: pyOCD wraps USBError in DAPAccess.DeviceError in ProbeError)."""
    try:
        from pyocd.core import exceptions as pe
    except ImportError:
        pe = None
    chain = _chain(exc)
    text = " | ".join("%s: %s" % (type(e).__name__, e) for e in chain)
    lowered = text.lower()
    for e in chain:
        no = getattr(e, "errno", None)
        backend = getattr(e, "backend_error_code", None)
        if no == errno.EBUSY or backend == -6 or "resource busy" in lowered:
            return "probe_busy"
        if no == errno.EACCES or backend == -3 or "access denied" in lowered:
            return "probe_access_denied"
        if no in (errno.ENODEV, errno.ENOENT) or backend == -4 or "no such device" in lowered:
            return "probe_lost"
    if "dp wait" in lowered or "ap wait" in lowered:
        return "dp_wait"  # ST-LINK reports SWD WAIT as "STLink error (20): DP wait"
    if pe is not None:
        for e in chain:
            # CMSIS-DAP: a WAIT ack past the retry count is TransferTimeoutError.
            if isinstance(e, pe.TransferTimeoutError):
                return "dp_wait"
            if isinstance(e, pe.TransferFaultError):
                return "transfer_fault"
            if isinstance(e, pe.TransferError):
                return "transfer_error"
        for e in chain:
            if isinstance(e, pe.ProbeError):
                return "probe_error"
    if "usberror" in lowered or "usb error" in lowered or "pipe error" in lowered:
        return "probe_lost"
    return "internal"


def _import_pyocd():
    try:
        from pyocd.core.helpers import ConnectHelper  # noqa: F401
        from pyocd.core.session import Session  # noqa: F401
    except Exception as exc:  # ImportError or a broken install
        raise BridgeError("pyocd_missing", "cannot import pyocd: %s" % exc)


def _probes_matching(uid):
    from pyocd.core.helpers import ConnectHelper
    probes = ConnectHelper.get_all_connected_probes(blocking=False)
    return [p for p in probes if p.unique_id.lower() == uid.lower()]


def _probe_present(uid):
    try:
        return bool(_probes_matching(uid))
    except Exception:
        return False


def open_session(args, watchdog):
    """An open pyOCD session on probe --uid, within --connect-timeout."""
    from pyocd.core.session import Session
    watchdog.arm(args.connect_timeout, "connect_timeout", "connect")
    try:
        matches = _probes_matching(args.uid)
    except Exception as exc:
        raise BridgeError(classify(exc), "enumerating probes: %s" % describe(exc))
    if not matches:
        raise BridgeError("probe_not_found", "no probe with unique id %s is connected" % args.uid)
    options = {"frequency": args.frequency,
               "halt_on_connect": not args.no_halt_on_connect,
               "resume_on_disconnect": False}
    if args.target:
        options["target_override"] = args.target
    try:
        session = Session(matches[0], options=options)
    except KeyError as exc:  # Board(): "target 'x' not recognized"
        raise BridgeError("bad_target", str(exc).strip("'\""))
    try:
        session.open()
    except Exception as exc:
        try:
            session.close()
        except Exception:
            pass
        raise BridgeError(classify(exc), "connecting: %s" % describe(exc))
    watchdog.disarm()
    return session


def _failure(exc, args, step):
    """A BridgeError for an exception raised while connected."""
    code = classify(exc)
    if code not in ("probe_busy", "probe_access_denied") and not _probe_present(args.uid):
        code = "probe_lost"
    return BridgeError(code, "%s: %s" % (step, describe(exc)))


# ---------------------------------------------------------------------------
# Commands.

def cmd_list(args, watchdog):
    _import_pyocd()
    from pyocd.core.helpers import ConnectHelper
    watchdog.arm(args.timeout, "step_timeout", "list")
    try:
        probes = ConnectHelper.get_all_connected_probes(blocking=False)
    except Exception as exc:
        raise BridgeError(classify(exc), "enumerating probes: %s" % describe(exc))
    out = []
    for p in probes:
        def field(name):
            try:
                return str(getattr(p, name) or "")
            except Exception:
                return ""
        out.append({"uid": field("unique_id"), "description": field("description"),
                    "vendor": field("vendor_name"), "product": field("product_name"),
                    "board": ""})
    return {"ok": True, "probes": out}


def cmd_flash(args, watchdog):
    chunks = load_image(args.file, args.base)
    _import_pyocd()
    start = time.monotonic()
    session = open_session(args, watchdog)
    try:
        from pyocd.target.family.flash_cortex_m import Flash_cortex_m
        flash = session.board.flash
        if flash is None or isinstance(flash, Flash_cortex_m):
            raise BridgeError("flash_unsupported",
                              "pyOCD has no flash algorithm for target '%s'; pass a target type "
                              "it knows or pre-flash the board" % session.board.target_type)
        watchdog.arm(args.timeout, "step_timeout", "flash")
        total = 0
        try:
            from pyocd.flash.flash_builder import FlashFailure
            builder = flash.get_flash_builder()
            for address, data in chunks:
                builder.add_data(address, list(data))
                total += len(data)
            builder.program(chip_erase=None, smart_flash=True)
        except BridgeError:
            raise
        except FlashFailure as exc:
            if not _probe_present(args.uid):
                raise BridgeError("probe_lost", "flash: %s" % exc)
            raise BridgeError("flash_failed", str(exc))
        except ValueError as exc:  # overlapping chunks
            raise BridgeError("bad_image", str(exc))
        except Exception as exc:
            if "before flash start" in str(exc) or "invalid address" in str(exc):
                raise BridgeError("bad_image", str(exc))
            error = _failure(exc, args, "flash")
            if error.code == "internal":
                error = BridgeError("flash_failed", error.detail)
            raise error
        watchdog.disarm()
        return {"ok": True, "bytes": total, "address": "0x%08x" % chunks[0][0],
                "seconds": round(time.monotonic() - start, 3)}
    finally:
        _close(session, watchdog)


def cmd_run(args, watchdog):
    address = result_symbol_address(args.elf)
    _import_pyocd()
    start = time.monotonic()
    session = open_session(args, watchdog)
    try:
        target = session.board.target
        # Our own deadline plus a grace for a call stuck in USB I/O.
        watchdog.arm(args.timeout + 2.0 * args.connect_timeout, "step_timeout", "run")
        try:
            target.reset_stop_on_reset()
            target.write_memory_block8(address, [0] * RESULT_BYTES)
            target.resume()
        except Exception as exc:
            raise _failure(exc, args, "reset")
        deadline = time.monotonic() + args.timeout
        while True:
            try:
                word = bytes(target.read_memory_block8(address, 4))
            except Exception as exc:
                raise _failure(exc, args, "poll")
            if struct.unpack("<I", word)[0] == RESULT_MAGIC:
                break
            if time.monotonic() >= deadline:
                pc = _halt_and_pc(target)
                raise BridgeError("target_timeout",
                                  "no result block after %.1f s (pc=%s)" % (args.timeout, pc))
            time.sleep(min(args.poll, max(0.0, deadline - time.monotonic())))
        try:
            target.halt()
            block = bytes(target.read_memory_block8(address, RESULT_BYTES))
        except Exception as exc:
            raise _failure(exc, args, "read")
        watchdog.disarm()
        return {"ok": True, "result_block_hex": block.hex(), "address": "0x%08x" % address,
                "seconds": round(time.monotonic() - start, 3), "endpoint": _endpoint()}
    finally:
        _close(session, watchdog)


def _endpoint():
    try:
        import pyocd
        return "pyOCD %s" % pyocd.__version__
    except Exception:
        return "pyOCD"


def _halt_and_pc(target):
    try:
        target.halt()
        return "0x%08x" % target.read_core_register("pc")
    except Exception as exc:
        return "unknown (%s)" % type(exc).__name__


def _close(session, watchdog):
    watchdog.arm(5.0, "step_timeout", "disconnect")
    try:
        session.close()
    except Exception:
        pass
    watchdog.disarm()


COMMANDS = {"list": cmd_list, "flash": cmd_flash, "run": cmd_run}


def main(argv):
    _claim_stdout()
    watchdog = Watchdog()
    step = argv[0] if argv else "?"
    try:
        args = parse_args(argv)
        step = args.command
        result = COMMANDS[args.command](args, watchdog)
        emit(result)
        return EXIT_OK
    except BridgeError as err:
        emit_error(err.code, err.detail, step)
    except Exception as exc:  # a bug here or in pyOCD: say what it was
        emit_error(classify(exc), describe(exc), step)
    finally:
        watchdog.disarm()
    return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
